"""``python -m shot_platform.core.serving.saved_model_check DIR``: does DIR load as a servable SavedModel?

Run by promotion (``SavedModelStore.verify``) in a child process, so the promoting process never
imports TensorFlow and a SavedModel that crashes the loader cannot take it down. The last line
of stdout is JSON: ``{"ok": true, "signatures": [...]}`` or ``{"ok": false, "error": "one line"}``.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(json.dumps({"ok": False, "error": "usage: saved_model_check DIR"}))
        return 2
    from shot_platform.core.model_store import one_line

    try:
        from shot_platform.core.serving.tf_runtime import LoadedSavedModel

        loaded = LoadedSavedModel.load("check", 0, argv[0])
    except Exception as error:  # any loader failure is the answer, as one line
        print(json.dumps({"ok": False, "error": one_line(error)}))
        return 1
    print(json.dumps({"ok": True, "signatures": sorted(loaded.signatures)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
