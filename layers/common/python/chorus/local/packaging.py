"""Packages Chorus for real AWS: `python -m chorus.local.packaging [OUT] [--stage STAGE]` (OUT defaults to build).

`chalice package` writes the template (merged with infra/template.yaml), the API bundle and the layer of
requirements.txt. This module then stages what the merge template points at, relative to the packaged template:
the first-party layer (`layers/common`, without chorus/local, which needs moto) and `functions/`.
`aws cloudformation package` later uploads those folders as zips.

Lambda mounts code read-only, so Python cannot cache bytecode there and compiles every imported module on each
cold start (measured: importing app.py takes 0.70 s from source, 0.25 s with bytecode). Both layers and functions/
therefore ship bytecode compiled by this interpreter, whose version chalice also takes as the Lambda runtime.
It is unchecked-hash bytecode: valid whatever file times the zip keeps; a bundle is never edited, so never stale.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from py_compile import PycInvalidationMode

import yaml

from chorus.local.template import PROJECT_ROOT, TEMPLATE_PATH

CHORUS_SOURCE = PROJECT_ROOT / "layers" / "common" / "python" / "chorus"
FUNCTIONS_SOURCE = PROJECT_ROOT / "functions"
LOCAL_ONLY = CHORUS_SOURCE / "local"
IGNORE_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc")


class PackagingError(RuntimeError):
    pass


def package(out: Path, stage: str = "dev") -> Path:
    """Package into `out` and return the path of the SAM template (`out`/sam.json)."""
    out = Path(out).resolve()
    _chalice_package(out, stage)
    _add_bytecode(out / "layer-deployment.zip")
    _stage(CHORUS_SOURCE, out, "layers/common/python/chorus")
    if FUNCTIONS_SOURCE.is_dir() and any(p.is_dir() for p in FUNCTIONS_SOURCE.iterdir()):
        _stage(FUNCTIONS_SOURCE, out, "functions")
    return out / "sam.json"


def _chalice_package(out: Path, stage: str) -> None:
    chalice = Path(sys.executable).parent / "chalice"
    if not chalice.exists():
        raise PackagingError(f"{chalice} not found: install requirements-dev.txt into this virtualenv (make install)")
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # offline: no credential lookup on an EC2 metadata endpoint
    print(f"Running chalice package (stage {stage}) into {out}", flush=True)
    command = [str(chalice), "package", "--stage", stage, "--merge-template", str(TEMPLATE_PATH), str(out)]
    if subprocess.run(command, cwd=PROJECT_ROOT, env=env).returncode != 0:
        raise PackagingError("chalice package failed (its output is above)")
    # A YAML merge template makes chalice write sam.yaml; sam.json is what `make deploy` hands to CloudFormation.
    written = out / "sam.yaml"
    if written.exists():
        (out / "sam.json").write_text(json.dumps(yaml.safe_load(written.read_text()), indent=1), encoding="utf-8")
        written.unlink()


def _add_bytecode(bundle: Path) -> None:
    with zipfile.ZipFile(bundle, "a", zipfile.ZIP_DEFLATED) as archive, tempfile.TemporaryDirectory() as scratch:
        names = archive.namelist()
        if any(name.endswith(".pyc") for name in names):
            return
        archive.extractall(scratch, [name for name in names if name.endswith(".py")])
        _compile(Path(scratch))
        for compiled in sorted(Path(scratch).rglob("*.pyc")):
            archive.write(compiled, compiled.relative_to(scratch).as_posix())
    print(f"Compiled bytecode into {bundle.name}", flush=True)


def _compile(folder: Path) -> None:
    if not compileall.compile_dir(folder, quiet=1, workers=0, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH):
        raise PackagingError(f"some Python files under {folder} do not compile")


def _ignore(directory: str, names: list[str]) -> set[str]:
    ignored = set(IGNORE_CACHES(directory, names))
    if Path(directory) == LOCAL_ONLY.parent:
        ignored.add(LOCAL_ONLY.name)  # the embedded runtime imports moto: never in a Lambda
    return ignored


def _stage(source: Path, out: Path, relative: str) -> None:
    target = out / relative
    shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier run
    shutil.copytree(source, target, ignore=_ignore)
    _compile(target)
    print(f"Staged {relative}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chorus.local.packaging", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="build", type=Path, help="output folder (default: build)")
    parser.add_argument("--stage", default="dev", help="Chalice stage from .chalice/config.json (default: dev)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        template = package(args.out, args.stage)
    except PackagingError as error:
        print(f"Packaging failed: {error}", file=sys.stderr)
        return 1
    print(f"Packaged {template} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
