"""TensorFlow's no-GPU lines are held back; everything else written meanwhile still reaches stderr."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shot_platform.core.serving.tf_runtime import without_gpu_noise

NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796496144.102415   12396 cudart_stub.cc:31] Could not find cuda drivers on your machine\n"
    "E0000 00:00:1796496190.074777   12679 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
)


def test_other_lines_written_while_loading_are_passed_on_and_the_noise_is_not(capfd: pytest.CaptureFixture[str]):
    with without_gpu_noise():
        os.write(2, ("a real problem: disk full\n" + NOISE + "another line\n").encode())
    err = capfd.readouterr().err
    assert err == "a real problem: disk full\nanother line\n"


def test_an_exception_while_loading_still_restores_stderr(capfd: pytest.CaptureFixture[str]):
    with pytest.raises(ImportError), without_gpu_noise():
        os.write(2, b"before the failure\n")
        raise ImportError("no tensorflow")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "before the failure\nafter\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "code",
    [
        "from shot_platform.core.serving.tf_runtime import tensorflow; tf = tensorflow(); print(tf.constant(1) + 1)",
        "import shot_platform.free_throws.model as m; m.configure_tensorflow(); print(m.tf.constant(1) + 1)",
    ],
    ids=["serving", "training"],
)
def test_loading_tensorflow_prints_no_cuda_lines(code: str):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "tf.Tensor(2" in done.stdout
    assert "cuda" not in done.stderr.lower(), done.stderr
    assert "InitializeLog" not in done.stderr, done.stderr
