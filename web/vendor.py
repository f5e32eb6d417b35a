"""Refresh the vendored browser code from npm (`make vendor`); nothing here runs in the app or the tests.

Each package of web/vendor.json is fetched with `npm pack` at its pinned version, the listed files are
copied into its folder, and web/static/vendor/manifest.json records what was copied, from which version,
under which licence, with each file's SHA-256 (so a reviewer can check a file against the npm tarball).
"""

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WANTED = ROOT / "web" / "vendor.json"
MANIFEST = ROOT / "web" / "static" / "vendor" / "manifest.json"


def _fetch(name: str, version: str, workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    unpacked = workdir / name
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def _header_notice(source: Path) -> str:
    """The licence notice a package keeps only in its source header (the leading // comment block)."""
    lines = []
    for line in source.read_text().splitlines():
        if not line.startswith("//"):
            break
        lines.append(line.removeprefix("//").removeprefix(" "))
    return "\n".join(lines).strip("-\n") + "\n"


def _vendor(package: dict, workdir: Path) -> dict:
    unpacked = _fetch(package["name"], package["version"], workdir)
    target = ROOT / package["into"]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source, name in package["files"].items():
        shutil.copyfile(unpacked / source, target / name)
    if "license_from_header" in package:
        (target / "LICENSE").write_text(_header_notice(unpacked / package["license_from_header"]))
    files = sorted(path.name for path in target.iterdir())
    return {
        "name": package["name"],
        "version": package["version"],
        "license": package["license"],
        "folder": package["into"],
        "files": {name: hashlib.sha256((target / name).read_bytes()).hexdigest() for name in files},
    }


def main() -> None:
    packages = json.loads(WANTED.read_text())["packages"]
    with tempfile.TemporaryDirectory(prefix="seoul-vendor-") as workdir:
        vendored = [_vendor(package, Path(workdir)) for package in packages]
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps({"packages": vendored}, indent=2) + "\n")
    print(f"vendored {len(vendored)} packages; manifest: {MANIFEST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
