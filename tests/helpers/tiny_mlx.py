"""A tiny MLX model made on the spot: a real Qwen2-architecture config with random weights, a
small BPE tokenizer trained with the `tokenizers` package, and a ChatML chat template. It runs
the MLX backend's real code (loading, the prompt cache, decoding, cancellation) in seconds on
a CPU; what it says is noise, which is all the tests need."""

from __future__ import annotations

import json
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "list files find grep sort head tail awk sed ls -la du -sh git log --oneline",
    "Shell: bash OS: Linux Current directory: /home/ana/project Request: show big files",
    "You are cmdai. You turn a request written in plain English into one shell command.",
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 ./-_~*'\"|&;:()[]{}<>=",
]


def make_tiny_model(directory: Path, layers: int = 2) -> Path:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen2
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )  # fmt: skip
    tokenizer.train_from_iterator(CORPUS * 20, trainer)
    tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "chat_template": CHAT_TEMPLATE,
        "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None,
    }))  # fmt: skip
    config = {
        "model_type": "qwen2", "hidden_size": 32, "num_hidden_layers": layers,
        "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6, "vocab_size": tokenizer.get_vocab_size(), "rope_theta": 10000.0,
        "tie_word_embeddings": True, "max_position_embeddings": 4096,
        "eos_token_id": tokenizer.token_to_id("<|im_end|>"),
    }  # fmt: skip
    (directory / "config.json").write_text(json.dumps(config))
    mx.random.seed(7)
    model = qwen2.Model(qwen2.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    mx.save_safetensors(
        str(directory / "model.safetensors"), dict(tree_flatten(model.parameters()))
    )
    return directory
