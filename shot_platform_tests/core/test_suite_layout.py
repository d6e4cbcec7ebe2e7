"""The test suite mirrors the package: each test module sits in the folder of what it tests, none
directly in shot_platform_tests/ (there: conftest.py, the shared helpers and fixtures/ only).

A test module added at the top (by a branch written before the move, say) fails here with the
``git mv`` that puts it where :func:`destination` says.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# core: shared code (core/, the package as a whole); shots, free_throws: each domain; cli: the shared
# CLI; service: the prediction service, its HTTP and TF Serving layer (core/serving/), bento/, compose;
# migrations: the Alembic history (shot_platform/migrations/).
FOLDERS = ("core", "shots", "free_throws", "cli", "service", "migrations")
# Shot-domain modules from before the layout, named without a prefix.
SHOT_MODULES = frozenset(
    {
        "test_assets",
        "test_features",
        "test_gate",
        "test_hostile_ingest",
        "test_ingest",
        "test_real_data",
        "test_registry",
        "test_request_log",
        "test_resources",
        "test_retraining",
        "test_synthetic",
        "test_training",
    }
)
# A name, or the name followed by "_..." (test_predict.py and test_predict_x.py, not test_prediction_cache.py).
FREE_THROW_NAMES = ("test_score_beater", "test_scores_api", "test_sync", "test_hostile_provider")
SERVICE_NAMES = ("test_service", "test_bento", "test_tf", "test_request_budget", "test_compose")
CLI_NAMES = ("test_cli", "test_demo", "test_predict")


def _named(stem: str, names: tuple[str, ...]) -> bool:
    return any(stem == name or stem.startswith(f"{name}_") for name in names)


def destination(name: str) -> str:
    """Where a top-level test module goes (first rule that matches): the mapping the move used.

    A domain's own prefix is dropped (``test_free_throw_assets.py`` -> ``free_throws/test_assets.py``,
    ``test_shot_rules.py`` -> ``shots/test_rules.py``); every other name is kept.
    """
    stem = name.removesuffix(".py")
    if "migration" in stem:
        return f"migrations/{name}"
    if stem.startswith("test_free_throw_"):
        return f"free_throws/test_{stem.removeprefix('test_free_throw_')}.py"
    if _named(stem, FREE_THROW_NAMES):
        return f"free_throws/{name}"
    if stem.startswith("test_shot_"):
        return f"shots/test_{stem.removeprefix('test_shot_')}.py"
    if stem in SHOT_MODULES:
        return f"shots/{name}"
    if _named(stem, SERVICE_NAMES):
        return f"service/{name}"
    if _named(stem, CLI_NAMES):
        return f"cli/{name}"
    return f"core/{name}"


def _test_modules() -> list[Path]:
    # pytest's default python_files: test_*.py and *_test.py
    return sorted({*TESTS.rglob("test_*.py"), *TESTS.rglob("*_test.py")})


def test_no_test_module_sits_at_the_top() -> None:
    flat = [path.name for path in _test_modules() if path.parent == TESTS]
    moves = [f"git mv shot_platform_tests/{name} shot_platform_tests/{destination(name)}" for name in flat]
    assert moves == [], "\n".join(
        [
            "test modules at the top of shot_platform_tests/; move them, then make their paths built from",
            "__file__ one level deeper (parents[1] -> parents[2], .parent / 'fixtures' -> parents[1] / 'fixtures'):",
            *moves,
        ]
    )


def test_every_test_folder_is_one_of_the_mirrors_and_a_package() -> None:
    """A package each, so that shots/test_assets.py and free_throws/test_assets.py import as two modules."""
    folders = {path.relative_to(TESTS).parts[0] for path in _test_modules() if path.parent != TESTS}
    assert folders <= set(FOLDERS), sorted(folders - set(FOLDERS))
    assert [folder for folder in FOLDERS if not (TESTS / folder / "__init__.py").is_file()] == []
    assert len(_test_modules()) > 60  # the walk really saw the suite


def test_the_mapping_rule() -> None:
    assert destination("test_free_throw_assets.py") == "free_throws/test_assets.py"
    assert destination("test_score_beater_service.py") == "free_throws/test_score_beater_service.py"
    assert destination("test_sync_engine.py") == "free_throws/test_sync_engine.py"
    assert destination("test_shot_model_registry_damage.py") == "shots/test_model_registry_damage.py"
    assert destination("test_assets.py") == "shots/test_assets.py"
    assert destination("test_tf_rest.py") == "service/test_tf_rest.py"
    assert destination("test_cli_errors.py") == "cli/test_cli_errors.py"
    assert destination("test_quarantine_migration.py") == "migrations/test_quarantine_migration.py"
    assert destination("test_rules.py") == "core/test_rules.py"
    assert destination("test_settings.py") == "core/test_settings.py"
    assert destination("test_predict.py") == "cli/test_predict.py"
    assert destination("test_prediction_cache.py") == "core/test_prediction_cache.py"
    assert destination("test_service_compose.py") == "service/test_service_compose.py"
    assert destination("test_scores_api.py") == "free_throws/test_scores_api.py"
