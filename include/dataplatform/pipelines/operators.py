"""The operator and callable the step kinds need that the official providers do not have.

``CommandOperator``: BashOperator runs a shell line and treats every non-zero exit but its skip
code as failure; a ``command``/``jar`` step runs an argument vector (no shell, no quoting) with
a set of allowed exit codes, through the standard provider's ``SubprocessHook``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException


class CommandOperator(BaseOperator):
    """Run ``argv`` (templated) in ``cwd`` with ``env`` added to the worker's environment; fail
    unless the exit code is in ``allowed_exit_codes``. Returns the last line of output."""

    template_fields: Sequence[str] = ("argv", "env", "cwd")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        allowed_exit_codes: Sequence[int] = (0,),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.argv = argv
        self.env = env or {}
        self.cwd = cwd
        self.allowed_exit_codes = list(allowed_exit_codes)
        self._hook: Any = None

    def execute(self, context: Any) -> str:
        from airflow.providers.standard.hooks.subprocess import SubprocessHook

        self._hook = SubprocessHook()
        env = {**os.environ, **{k: str(v) for k, v in self.env.items()}}
        result = self._hook.run_command([str(a) for a in self.argv], env=env, cwd=self.cwd)
        if result.exit_code not in self.allowed_exit_codes:
            raise AirflowException(
                f"{self.argv[0]} exited with {result.exit_code} (allowed: {self.allowed_exit_codes});"
                f" last output: {result.output}"
            )
        return result.output

    def on_kill(self) -> None:
        if self._hook is not None:
            self._hook.send_sigterm()


def call_by_path(callable_path: str, kwargs: dict[str, Any]) -> Any:
    """Import ``package.module.function`` (or ``package.module:function``) and call it with ``kwargs``."""
    module_name, _, attr = callable_path.replace(":", ".").rpartition(".")
    function = getattr(importlib.import_module(module_name), attr)
    return function(**kwargs)
