"""``python -m shot_platform.core.serving.tf_serving_sync``: write TF Serving's model config from the
registry, or copy the labelled versions and the config to TF Serving's volume (stock images cannot read
S3), once or every few seconds. A module of its own so that the config writer, which the registry calls
on every promotion, does not import the registry back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from shot_platform.core.model_store import one_line
from shot_platform.core.saved_model_store import open_saved_model_store
from shot_platform.core.serving.tf_serving_config import BASE_PATH_ENV, sync_to_directory, write_model_config
from shot_platform.core.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shot_platform.core.serving.tf_serving_config",
        description="Write TF Serving's models.config from a SavedModel registry, or sync the served versions "
        "to a local directory for TF Serving.",
    )
    parser.add_argument("--store", default=None, help="model store (default: SHOT_PLATFORM_MODEL_STORE)")
    parser.add_argument("--model", required=True, help="the registry's model name")
    parser.add_argument("--sync-to", default=None, help="copy the labelled versions and the config here")
    parser.add_argument("--base-path", default=None, help=f"base_path as TF Serving sees it (default: {BASE_PATH_ENV})")
    parser.add_argument(
        "--tf-serving-url",
        default=None,
        help="with --sync-to: move a label only once TF Serving has loaded its version",
    )
    parser.add_argument("--every", type=float, default=0.0, help="repeat every SECONDS (0: once)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    models = open_saved_model_store(args.store or settings.model_store, settings.s3_endpoint_url, args.model)
    last = None
    while True:
        try:
            if args.sync_to:
                base_path = args.base_path or settings.tf_serving_base_path
                labels = sync_to_directory(models, args.sync_to, base_path, args.tf_serving_url)
            else:
                labels = write_model_config(models, args.base_path)
            if labels != last:
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                print(json.dumps({"at": stamp, "model": args.model, "labels": labels}), flush=True)
                last = labels
        except Exception as error:  # the store or the disk failing (botocore raises its own types): retry next cycle
            print(f"error: {one_line(error)}", file=sys.stderr, flush=True)
            if args.every <= 0:
                return 1
        if args.every <= 0:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
