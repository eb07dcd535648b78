"""llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`), loading its model
the way cmdai's embedded backend does: without llama.cpp's extra buffer types on a CPU with
AMX, where they produce garbage or crash (cmdai.backends.llama_cpp.amx_present). The tests and
bench_backends.py start the real server through this: `python -m tests.helpers.llama_server
--model … --port …`, with the server's own arguments."""

from __future__ import annotations

import runpy

from cmdai.backends.llama_cpp import amx_present, without_extra_buffers

if __name__ == "__main__":
    with without_extra_buffers(amx_present()):
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
