"""How a domain builds its Dagster ``Definitions``: its assets (in its own group) and checks loaded from
its packages, and its store and model-registry resources located through ``EnvVar``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from dagster import Definitions, load_asset_checks_from_package_module, load_assets_from_package_module

from shot_platform.core.env_config import env_setting
from shot_platform.core.settings import DATABASE_URL_ENV, MODEL_STORE_ENV, S3_ENDPOINT_ENV


def store_resources(
    store_key: str, store: Callable[..., Any], models_key: str, models: Callable[..., Any]
) -> dict[str, Any]:
    """The domain's store and model-registry resources, secrets and locations through ``EnvVar``."""
    return {
        store_key: store(database_url=env_setting(DATABASE_URL_ENV)),
        models_key: models(location=env_setting(MODEL_STORE_ENV), s3_endpoint_url=env_setting(S3_ENDPOINT_ENV)),
    }


def domain_definitions(
    group: str, assets: ModuleType, checks: ModuleType, resources: Mapping[str, Any], **others: Any
) -> Definitions:
    """The assets of package ``assets`` (group ``group``), the checks of package ``checks``, the
    ``resources`` and the ``others`` (``jobs``, ``schedules``, ``sensors``) as ``Definitions``."""
    return Definitions(
        assets=load_assets_from_package_module(assets, group_name=group),
        asset_checks=load_asset_checks_from_package_module(checks),
        resources=dict(resources),
        **others,
    )
