"""Finding upstream's FastestDet COCO weights: an explicit path, the shared fixtures, an earlier
download, or a download from the upstream repository verified against the pinned SHA-256."""
import hashlib
import http.client
import os
import sys
import urllib.request
from pathlib import Path
from typing import Optional

PINNED_SHA256 = "7f688d478ee474c82dbdb9c10e0ede2f8f3cf5d603f0825d2efd925eb561d05e"
# weights/weight_AP05:0.253207_280-epoch.pth at the commit the fixtures were taken from.
UPSTREAM_URL = ("https://raw.githubusercontent.com/dog-qiuqiu/FastestDet/"
                "50473cd155cb088aa4a99e64ff6a4b3c24fa07e1/weights/weight_AP05%3A0.253207_280-epoch.pth")
# A mirror (air-gapped fleets, tests) may be named with $EDGEFUSION_FASTESTDET_URL; the pinned
# hash is checked whatever the source.
URL_VARIABLE = "EDGEFUSION_FASTESTDET_URL"
FIXTURE = "models/fastestdet/fastestdet_coco_280e.pth"
FILE_NAME = "fastestdet_coco_280e.pth"


class WeightsError(Exception):
    """Weights were given or downloaded but cannot be used (missing file, wrong hash)."""


def fixtures_dir(repo: Path) -> Path:
    return Path(os.environ.get("EDGEFUSION_FIXTURES", repo.parent / "shared" / "fixtures"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(cache: Path) -> Optional[Path]:
    """Upstream's weights into `cache` (verified); None when the download is impossible."""
    url = os.environ.get(URL_VARIABLE, UPSTREAM_URL)
    partial = cache.with_suffix(".part")
    cache.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as f:
            while chunk := response.read(1 << 20):
                f.write(chunk)
    except (OSError, ValueError, http.client.HTTPException) as e:  # URLError is an OSError
        partial.unlink(missing_ok=True)
        print(f"could not download the FastestDet weights from {url}: {e}", file=sys.stderr)
        return None
    got = sha256_of(partial)
    if got != PINNED_SHA256:
        partial.unlink()
        raise WeightsError(f"downloaded {url} has SHA-256 {got}, expected {PINNED_SHA256}; refusing it")
    partial.replace(cache)
    return cache


def locate_weights(explicit: Optional[Path], repo: Path, cache_dir: Path) -> Optional[Path]:
    """The weights file to use, or None when there are none and none can be downloaded."""
    if explicit is not None:
        if not explicit.is_file():
            raise WeightsError(f"--weights {explicit}: no such file")
        return explicit
    fixture = fixtures_dir(repo) / FIXTURE
    if fixture.is_file():
        return fixture
    cached = cache_dir / FILE_NAME
    if cached.is_file() and sha256_of(cached) == PINNED_SHA256:
        return cached
    return download(cached)
