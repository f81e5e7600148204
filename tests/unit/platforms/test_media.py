"""Photos and videos with their alt text, as each connector sends them: the upload first (safe to repeat), then the
post that names the uploads (the idempotent step)."""
from __future__ import annotations

import email
from email.message import Message

import pytest

from chorus.platforms.base import MediaFile, OutcomeUnknown, PublishRequest, TransientFailure
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.linkedin import LinkedInConnector
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.transport import Response
from chorus.platforms.x import XConnector
from tests.unit.platforms.fakes import Clock, FakeTransport, Sent, json_response

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 32
ALT = "Vijf collega's in oranje hesjes planten een boom; één houdt een schep vast"
PHOTO = MediaFile("content/abc/boom.png", ALT, "image/png", PNG)
SECOND = MediaFile("content/def/schep.jpg", "Een schep in de aarde", "image/jpeg", JPEG)
ORG = "urn:li:organization:2414183"
SESSION = {"accessJwt": "access-1", "refreshJwt": "refresh-1", "handle": "chorus.example.com", "did": "did:plc:chorus"}


def form_parts(sent: Sent) -> dict[str, Message]:
    """The multipart/form-data body as a mail parser reads it: a malformed body would not parse into these parts."""
    message = email.message_from_bytes(b"Content-Type: " + (sent.header("Content-Type") or "").encode() + b"\r\n\r\n"
                                       + (sent.body or b""))
    assert message.is_multipart()
    parts = message.get_payload()
    assert isinstance(parts, list)
    return {str(part.get_param("name", header="content-disposition")): part
            for part in parts if isinstance(part, Message)}


def text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


# ------------------------------------------------------------------------------------------- Mastodon
def test_mastodon_uploads_each_file_with_its_description_then_names_them_on_the_status() -> None:
    fake = FakeTransport(json_response(200, {"id": "m1", "type": "image"}), json_response(200, {"id": "m2"}),
                         json_response(200, {"id": "9", "url": "https://m.example/@c/9"}))
    request = PublishRequest("Boomplantdag!", "key-1", media=(PHOTO, SECOND))
    published = MastodonConnector("https://m.example", "tok", transport=fake).publish(request)
    assert published.platform_id == "9"
    first, second, status = fake.sent
    assert (first.method, first.url) == ("POST", "https://m.example/api/v2/media")
    parts = form_parts(first)
    assert text_of(parts["description"]) == ALT
    assert parts["file"].get_filename() == "boom.png" and parts["file"].get_content_type() == "image/png"
    assert parts["file"].get_payload(decode=True) == PNG
    assert text_of(form_parts(second)["description"]) == "Een schep in de aarde"
    assert status.form()["media_ids[]"] == ["m1", "m2"]
    assert status.header("Idempotency-Key") == "key-1"


def test_mastodon_waits_for_a_video_to_finish_processing_before_the_status() -> None:
    video = MediaFile("content/v/film.mp4", "Een drone vliegt over de wijk", "video/mp4", b"\x00\x00\x00\x18ftyp")
    pauses: list[float] = []
    fake = FakeTransport(json_response(202, {"id": "v1", "url": None}), json_response(206, {"id": "v1", "url": None}),
                         json_response(200, {"id": "v1", "url": "https://m.example/v1.mp4"}),
                         json_response(200, {"id": "10", "url": "https://m.example/@c/10"}))
    MastodonConnector("https://m.example", "tok", transport=fake, sleep=pauses.append).publish(
        PublishRequest("Kijk!", "key-2", media=(video,)))
    assert [s.url for s in fake.sent[1:3]] == ["https://m.example/api/v1/media/v1"] * 2
    assert len(pauses) == 2 and fake.sent[3].form()["media_ids[]"] == ["v1"]


def test_mastodon_gives_up_on_a_video_still_processing_and_posts_nothing() -> None:
    still = [json_response(206, {"id": "v1", "url": None}) for _ in range(20)]
    fake = FakeTransport(json_response(202, {"id": "v1"}), *still)
    video = MediaFile("content/v/film.mp4", "Drone", "video/mp4", b"\x00")
    with pytest.raises(TransientFailure, match="still processing"):
        MastodonConnector("https://m.example", "tok", transport=fake, sleep=lambda s: None).publish(
            PublishRequest("Kijk!", "key-3", media=(video,)))
    assert all(s.path != "/api/v1/statuses" for s in fake.sent)


def test_an_upload_without_an_answer_is_a_plain_retry_not_an_unknown_outcome() -> None:
    """Nothing is posted until the status: an upload lost on the way is done again, without reconciling."""
    fake = FakeTransport(OutcomeUnknown("no answer from https://m.example/api/v2/media after the request was sent"))
    with pytest.raises(TransientFailure, match="uploading boom.png"):
        MastodonConnector("https://m.example", "tok", transport=fake).publish(
            PublishRequest("Boomplantdag!", "key-4", media=(PHOTO,)))


# ------------------------------------------------------------------------------------------- Bluesky
def test_bluesky_uploads_blobs_and_embeds_them_with_their_alt_text() -> None:
    blob = {"$type": "blob", "ref": {"$link": "bafkreiblob"}, "mimeType": "image/png", "size": len(PNG)}
    fake = FakeTransport(json_response(200, SESSION), json_response(200, {"blob": blob}),
                         json_response(200, {"uri": "at://did:plc:chorus/app.bsky.feed.post/x", "cid": "c"}))
    BlueskyConnector("https://pds.example", "chorus.example.com", "app-pw", transport=fake, clock=Clock(1.8e9)).publish(
        PublishRequest("Boomplantdag!", "key-5", media=(PHOTO,)))
    upload, put = fake.sent[1:]
    assert (upload.url, upload.body) == ("https://pds.example/xrpc/com.atproto.repo.uploadBlob", PNG)
    assert upload.header("Content-Type") == "image/png" and upload.header("Authorization") == "Bearer access-1"
    assert put.json["record"]["embed"] == {"$type": "app.bsky.embed.images", "images": [{"alt": ALT, "image": blob}]}


def test_bluesky_signs_in_again_when_the_session_expired_during_an_upload() -> None:
    blob = {"$type": "blob", "ref": {"$link": "b"}, "mimeType": "image/png", "size": 1}
    fake = FakeTransport(json_response(200, SESSION), json_response(400, {"error": "ExpiredToken", "message": "x"}),
                         json_response(200, {**SESSION, "accessJwt": "access-2"}), json_response(200, {"blob": blob}),
                         json_response(200, {"uri": "at://did:plc:chorus/app.bsky.feed.post/x", "cid": "c"}))
    BlueskyConnector("https://pds.example", "chorus.example.com", "app-pw", transport=fake, clock=Clock(1.8e9)).publish(
        PublishRequest("Boomplantdag!", "key-6", media=(PHOTO,)))
    assert fake.sent[3].header("Authorization") == "Bearer access-2"
    fake.assert_done()


# ------------------------------------------------------------------------------------------- X
def test_x_uploads_each_photo_sets_its_alt_text_and_names_it_on_the_post() -> None:
    fake = FakeTransport(json_response(200, {"data": {"id": "111", "media_key": "3_111"}}), Response(204),
                         json_response(200, {"data": {"id": "222", "media_key": "3_222"}}), Response(204),
                         json_response(201, {"data": {"id": "900", "text": "Boomplantdag!"}}))
    published = XConnector("tok", transport=fake).publish(
        PublishRequest("Boomplantdag!", "key-7", media=(PHOTO, SECOND)))
    assert published.platform_id == "900"
    upload, metadata, _, second_metadata, post = fake.sent
    assert upload.url == "https://api.x.com/2/media/upload"
    parts = form_parts(upload)
    assert text_of(parts["media_category"]) == "tweet_image" and parts["media"].get_payload(decode=True) == PNG
    assert (metadata.url, metadata.json) == ("https://api.x.com/2/media/metadata",
                                             {"id": "111", "metadata": {"alt_text": {"text": ALT}}})
    assert second_metadata.json["metadata"]["alt_text"]["text"] == "Een schep in de aarde"
    assert post.json == {"text": "Boomplantdag!", "media": {"media_ids": ["111", "222"]}}


# ------------------------------------------------------------------------------------------- LinkedIn
def linkedin_upload(image: str) -> list[Response]:
    return [json_response(200, {"value": {"uploadUrl": f"https://www.linkedin.com/dms-uploads/{image}",
                                          "image": f"urn:li:image:{image}"}}), Response(201)]


def test_linkedin_uploads_through_the_images_api_and_sends_alt_text_on_the_post() -> None:
    fake = FakeTransport(*linkedin_upload("A1"), Response(201, {"x-restli-id": "urn:li:share:7"}))
    LinkedInConnector("tok", ORG, transport=fake).publish(PublishRequest("Boomplantdag!", "key-8", media=(PHOTO,)))
    start, put, post = fake.sent
    assert start.url == "https://api.linkedin.com/rest/images?action=initializeUpload"
    assert start.json == {"initializeUploadRequest": {"owner": ORG}}
    assert (put.method, put.url, put.body) == ("PUT", "https://www.linkedin.com/dms-uploads/A1", PNG)
    assert post.json["content"] == {"media": {"id": "urn:li:image:A1", "altText": ALT}}


def test_linkedin_posts_two_photos_as_a_multi_image_post() -> None:
    fake = FakeTransport(*linkedin_upload("A1"), *linkedin_upload("B2"),
                         Response(201, {"x-restli-id": "urn:li:share:8"}))
    LinkedInConnector("tok", ORG, transport=fake).publish(
        PublishRequest("Boomplantdag!", "key-9", media=(PHOTO, SECOND)))
    assert fake.sent[-1].json["content"] == {"multiImage": {"images": [
        {"id": "urn:li:image:A1", "altText": ALT}, {"id": "urn:li:image:B2", "altText": "Een schep in de aarde"}]}}


def test_a_post_without_media_is_sent_as_before() -> None:
    fake = FakeTransport(json_response(201, {"data": {"id": "1", "text": "Hallo"}}))
    XConnector("tok", transport=fake).publish(PublishRequest("Hallo", "key-10"))
    assert fake.sent[0].json == {"text": "Hallo"}
