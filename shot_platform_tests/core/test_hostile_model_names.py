"""Names from the model store never reach a path outside their version (issue 13, item 9).

Whoever can write the model store (a directory, an S3 bucket) controls the file names in a
version's ``metadata.json``, the version names and the pointer. Every such name either resolves
inside its version or the version is refused; a canary file outside the store (with the sha256
the hostile metadata records for it) proves nothing outside is read or written.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from shot_platform.core.blobs import LocalBlobStore, UnsafeKeyError, safe_key
from shot_platform.core.model_store import ModelStore, RegistryError, sha256
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.shots.models.artifact import SHOT_MODEL_FORMAT, ShotModel

CANARY = b"the canary: no model file may ever be this one\n"
GRAPH = b"not really a graph, but load() only copies and checks bytes"

# Pieces a hostile name is made of: traversal, separators of other systems, NUL, absolute roots,
# encodings that some layer might decode, and harmless names (so that valid names are generated too).
SEGMENTS = st.sampled_from(
    ["..", ".", "", "...", "canary.txt", "outside", "variables", "a", "C:", "\x00", "~", " ", "%2e%2e", "..\\..", "\n"]
) | st.text(min_size=1, max_size=8)
SEPARATORS = st.sampled_from(["/", "\\", "//", "/./"])


@st.composite
def hostile_names(draw: st.DrawFn) -> str:
    segments = draw(st.lists(SEGMENTS, min_size=1, max_size=6))
    separator = draw(SEPARATORS)
    prefix = draw(st.sampled_from(["", "/", "./", "../", "../../", "../../../outside/", "{outside}/"]))
    return prefix + separator.join(segments)


def snapshot(root: Path, *skip: Path) -> dict[str, bytes]:
    """Every file under ``root`` except those under ``skip``, with its content."""
    found = {}
    for folder, directories, files in os.walk(root):
        directories[:] = [d for d in directories if Path(folder, d) not in skip]  # not even walked
        for name in files:
            path = Path(folder, name)
            if path.is_file():
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


def inside(root: Path, name: str) -> bool:
    """The test's own oracle: does ``root/name`` name a path inside ``root`` (symlinks resolved)?"""
    if "\x00" in name:
        return False
    return os.path.realpath(os.path.join(root, name)).startswith(os.path.realpath(root) + os.sep)


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """tmp/outside/canary.txt next to the store; every example gets its own store and destination."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "canary.txt").write_bytes(CANARY)
    (tmp_path / "canary.txt").write_bytes(CANARY)
    return tmp_path


def saved_model_version(root: Path, name: str, outside: Path) -> SavedModelStore:
    """Version 1 of score_beater whose metadata also records ``name`` with the canary's sha256."""
    store = SavedModelStore(LocalBlobStore(root), "score_beater")
    version = root / "score_beater" / "1"
    version.mkdir(parents=True)
    (version / "saved_model.pb").write_bytes(GRAPH)
    name = name.replace("{outside}", str(outside))
    if inside(version, name) and not (version / name).exists():
        try:  # a valid name: the version really holds the file, so accepting it is correct
            (version / name).parent.mkdir(parents=True, exist_ok=True)
            (version / name).write_bytes(CANARY)
        except OSError:
            pass  # a name the file system refuses (too long, a clash): the store must refuse it too
    files = {"saved_model.pb": sha256(GRAPH), name: sha256(CANARY)}
    (version / "metadata.json").write_text(json.dumps({"version": "1", "files": files}))
    return store


@pytest.mark.slow  # 100 generated examples, each a store on disk
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile_names())
def test_a_file_name_in_saved_model_metadata_resolves_inside_the_version_or_the_version_is_refused(
    world: Path, name: str
):
    case = world / uuid.uuid4().hex
    store = saved_model_version(case / "store", name, world / "outside")
    before = snapshot(world, case)
    destination = case / "copy"
    destination.mkdir()
    try:
        store.load("1", destination)
    except RegistryError as error:
        assert "\n" not in str(error)  # one line: a hostile name is quoted
        accepted = False
    else:
        accepted = True
    recorded = name.replace("{outside}", str(world / "outside"))
    if accepted:
        assert inside(case / "store" / "score_beater" / "1", recorded), recorded
        assert inside(destination, recorded), recorded
        assert (destination / recorded).read_bytes() == CANARY
    assert snapshot(world, case) == before  # nothing written outside, the canaries untouched
    assert (world / "outside" / "canary.txt").read_bytes() == CANARY


@pytest.mark.slow  # 60 generated examples, each pickling and unpickling a model
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile_names())
def test_a_file_name_in_shot_model_metadata_resolves_inside_the_version_or_the_version_is_refused(
    world: Path, name: str
):
    case = world / uuid.uuid4().hex
    store = ModelStore(LocalBlobStore(case / "store"), "shot_model", SHOT_MODEL_FORMAT)
    model = ShotModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ("x",), "v1")
    store.save(model)
    metadata = store.metadata("v1")
    recorded = name.replace("{outside}", str(world / "outside"))
    metadata["artifact"]["files"][recorded] = {"sha256": sha256(CANARY), "bytes": len(CANARY)}
    store.blobs.put("shot_model/versions/v1/metadata.json", json.dumps(metadata).encode())
    version = case / "store" / "shot_model" / "versions" / "v1"
    if inside(version, recorded) and not (version / recorded).exists():
        try:
            (version / recorded).parent.mkdir(parents=True, exist_ok=True)
            (version / recorded).write_bytes(CANARY)
        except OSError:
            pass
    before = snapshot(world, case)
    try:
        store.promote("v1", "hostile metadata")
    except RegistryError:
        assert store.champion_version() is None
    else:
        assert inside(version, recorded), recorded
    assert snapshot(world, case) == before


@settings(max_examples=500, deadline=None)
@given(key=st.one_of(hostile_names(), st.text(max_size=30)))
def test_a_blob_key_is_refused_or_stays_below_the_root(key: str):
    root = Path("/nonexistent-store-root")
    try:
        checked = safe_key(key)
    except UnsafeKeyError as error:
        assert "\n" not in str(error)  # one line: the key is quoted
        return
    assert checked == key
    assert os.path.normpath(os.path.join(root, key)).startswith(str(root) + os.sep)
    assert ".." not in key.split("/") and "\\" not in key and "\x00" not in key


@pytest.mark.parametrize(
    "key",
    ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "a/\x00", "", "a//b", "./a", "a/.", "a/", "a\nb", "x" * 1025],
)
def test_the_local_store_refuses_unsafe_keys_before_touching_the_disk(tmp_path: Path, key: str):
    blobs = LocalBlobStore(tmp_path / "store")
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeKeyError):
        blobs.put(key, CANARY)
    with pytest.raises(UnsafeKeyError):
        blobs.get(key)
    assert snapshot(tmp_path) == before and not (tmp_path / "store").exists()


def test_symlinks_leading_out_of_the_store_are_refused(world: Path):
    """A version whose files (or directory) are symlinks to files outside, with matching checksums."""
    store = SavedModelStore(LocalBlobStore(world / "store"), "score_beater")
    version = world / "store" / "score_beater" / "1"
    version.mkdir(parents=True)
    (world / "outside" / "saved_model.pb").write_bytes(GRAPH)
    (version / "saved_model.pb").symlink_to(world / "outside" / "saved_model.pb")
    (version / "variables").symlink_to(world / "outside", target_is_directory=True)
    files = {"saved_model.pb": sha256(GRAPH), "variables/canary.txt": sha256(CANARY)}
    (version / "metadata.json").write_text(json.dumps({"files": files}))
    before = snapshot(world, world / "store")

    with pytest.raises(RegistryError, match="leads outside the store"):
        store.load("1", world / "copy")
    (version / "saved_model.pb").unlink()
    (version / "saved_model.pb").write_bytes(GRAPH)  # the graph is real now; the variables still lead out
    with pytest.raises(RegistryError, match=r"variables/canary\.txt leads outside the store"):
        store.promote("1", "symlinked")
    assert store.champion_version() is None

    # The pointer itself as a symlink to a file outside that looks like a pointer.
    (world / "outside" / "champion.json").write_text(json.dumps({"version": "1"}))
    (world / "store" / "score_beater" / "champion.json").symlink_to(world / "outside" / "champion.json")
    pointer = store.champion_pointer()
    assert pointer.version is None and "leads outside the store" in pointer.problem
    # A write at the link is refused too (it names a file outside), with what to do.
    with pytest.raises(UnsafeKeyError, match=r"leads outside the store .* remove it"):
        store.blobs.put("score_beater/champion.json", b"{}")
    after = snapshot(world, world / "copy", world / "store")
    assert after == {**before, "outside/champion.json": json.dumps({"version": "1"}).encode()}


@pytest.mark.parametrize("version", ["../shot_model", "1/../2", "/1", "01", "1\x00", "\u0661", "+1", " 1", "1e3"])
def test_a_version_name_that_is_not_a_whole_number_is_refused(tmp_path: Path, version: str):
    store = SavedModelStore(LocalBlobStore(tmp_path), "score_beater")
    with pytest.raises(RegistryError, match="whole numbers"):
        store.promote(version, "hostile")
    assert not (tmp_path / "score_beater" / "champion.json").exists()


@pytest.mark.parametrize("version", ["../v1", "v1/../v2", "/v1", "v1\x00", "", "a\\b", ".."])
def test_a_shot_model_version_name_with_a_path_in_it_is_refused(tmp_path: Path, version: str):
    store = ModelStore(LocalBlobStore(tmp_path / "store"), "shot_model", SHOT_MODEL_FORMAT)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "metadata.json").write_text("{}")  # what ../../v1 would reach
    with pytest.raises(RegistryError, match="has no version"):
        store.promote(version, "hostile")


@pytest.mark.slow  # an S3 server (moto) on loopback
def test_on_s3_hostile_names_and_keys_are_refused_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """S3 has no directories, but a key such as ``score_beater/1/../champion.json`` may be
    normalised by a proxy or an S3-compatible server into another object: the same check applies."""
    import boto3

    from shot_platform.core.blobs import open_blob_store
    from shot_platform_tests.s3_server import CREDENTIALS, s3_server

    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    with s3_server("hostile") as endpoint:
        blobs = open_blob_store("s3://hostile/models", endpoint)
        store = SavedModelStore(blobs, "score_beater")
        pointer = json.dumps({"version": "1"}).encode()
        blobs.put("score_beater/champion.json", pointer)
        blobs.put("score_beater/1/saved_model.pb", GRAPH)
        files = {"saved_model.pb": sha256(GRAPH), "../champion.json": sha256(pointer)}
        blobs.put("score_beater/1/metadata.json", json.dumps({"files": files}).encode())
        with pytest.raises(RegistryError, match=r"names an unsafe file .*'\.\./champion\.json'"):
            store.load("1", tmp_path / "copy")
        for hostile in ("score_beater/1/../champion.json", "/score_beater/champion.json", "score_beater//1", "a\\b"):
            with pytest.raises(UnsafeKeyError):
                blobs.get(hostile)
            with pytest.raises(UnsafeKeyError):
                blobs.put(hostile, b"x")

        # Objects whose keys hold '..' (written past this code) are never taken for version files.
        raw = boto3.client("s3", endpoint_url=endpoint, region_name=CREDENTIALS["AWS_DEFAULT_REGION"])
        raw.put_object(Bucket="hostile", Key="models/score_beater/2/../../escaped", Body=b"x")
        raw.put_object(Bucket="hostile", Key="models/shot_model/versions/v1/../../../escaped", Body=b"x")
        assert store.versions() == ["1"] and store.next_version() == "3"
        shots = ModelStore(blobs, "shot_model", SHOT_MODEL_FORMAT)
        model = ShotModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ("x",), "v1")
        shots.save(model)
        metadata = shots.metadata("v1")
        del metadata["artifact"]  # as saved before checksums: the version's listed keys are its files
        blobs.put("shot_model/versions/v1/metadata.json", json.dumps(metadata).encode())
        with pytest.raises(RegistryError, match=r"has an empty, '\.' or '\.\.' segment"):
            shots.promote("v1", "hostile listing")
        assert shots.champion_version() is None
