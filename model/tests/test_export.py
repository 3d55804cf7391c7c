"""model/export's handling of weights: which file it uses, the pinned hash, and its exit codes
when there is nothing usable (setup relies on exit code 3 meaning "no weights")."""
import os
import subprocess

from conftest import ROOT
from edgefusion_model import weights

EXPORT = ROOT / "model" / "export"


def export(tmp_path, *args, **env):
    full_env = {**os.environ, **env}
    return subprocess.run([str(EXPORT), "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, env=full_env, timeout=300)


def test_missing_weights_file_is_an_error_naming_it(tmp_path):
    proc = export(tmp_path, "--weights", str(tmp_path / "nope.pth"))
    assert proc.returncode == 1
    assert "nope.pth" in proc.stderr


def test_no_weights_anywhere_exits_3(tmp_path):
    proc = export(tmp_path, EDGEFUSION_FIXTURES=str(tmp_path / "no-fixtures"),
                  EDGEFUSION_FASTESTDET_URL=(tmp_path / "missing.pth").as_uri())
    assert proc.returncode == 3, proc.stderr
    assert "no FastestDet weights" in proc.stderr
    assert not (tmp_path / "out" / "fusion_fp32.pt").exists()


def test_download_with_wrong_hash_is_refused(tmp_path):
    impostor = tmp_path / "impostor.pth"
    impostor.write_bytes(b"not the upstream weights")
    proc = export(tmp_path, EDGEFUSION_FIXTURES=str(tmp_path / "no-fixtures"),
                  EDGEFUSION_FASTESTDET_URL=impostor.as_uri())
    assert proc.returncode == 1
    assert "refusing" in proc.stderr and weights.PINNED_SHA256 in proc.stderr
    assert not any((tmp_path / "out").glob("*.pth*"))


def test_download_of_the_upstream_file_is_verified_and_cached(tmp_path, fastestdet_dir, monkeypatch):
    """Upstream's file served from the fixtures (this machine cannot reach GitHub)."""
    monkeypatch.setenv("EDGEFUSION_FIXTURES", str(tmp_path / "no-fixtures"))
    monkeypatch.setenv(weights.URL_VARIABLE, (fastestdet_dir / "fastestdet_coco_280e.pth").as_uri())
    got = weights.locate_weights(None, ROOT, tmp_path / "cache")
    assert got == tmp_path / "cache" / weights.FILE_NAME
    assert weights.sha256_of(got) == weights.PINNED_SHA256


def test_fixture_weights_match_the_pinned_hash(fastestdet_dir):
    assert weights.sha256_of(fastestdet_dir / "fastestdet_coco_280e.pth") == weights.PINNED_SHA256
