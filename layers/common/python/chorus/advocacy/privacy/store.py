"""The Cognito user pool as the privacy service sees it: a person's login, to export and to delete."""
from __future__ import annotations

from typing import Any

import boto3


class CognitoLogins:
    def __init__(self, user_pool_id: str, region: str) -> None:
        self.user_pool_id = user_pool_id
        self.cognito = boto3.client("cognito-idp", region_name=region)

    def describe(self, username: str) -> dict[str, Any] | None:
        try:
            user = self.cognito.admin_get_user(UserPoolId=self.user_pool_id, Username=username)
        except self.cognito.exceptions.UserNotFoundException:
            return None
        groups = [group["GroupName"]
                  for page in self.cognito.get_paginator("admin_list_groups_for_user").paginate(
                      UserPoolId=self.user_pool_id, Username=username)
                  for group in page["Groups"]]
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return {"username": user["Username"], "attributes": attributes,
                "groups": sorted(groups), "status": user.get("UserStatus"), "enabled": user.get("Enabled"),
                "created_at": user["UserCreateDate"].isoformat() if user.get("UserCreateDate") else None}

    def delete(self, username: str) -> bool:
        try:
            self.cognito.admin_delete_user(UserPoolId=self.user_pool_id, Username=username)
        except self.cognito.exceptions.UserNotFoundException:
            return False
        return True
