"""Attention over each text's own tokens: a batch of queries embeds exactly as each query alone.

A padded batch runs PyTorch's scaled-dot-product attention over the longest text's length with the
padding masked out; in bfloat16 the softmax over the longer (masked) key range rounds differently,
so a short query's vector in a batch moved by up to ~0.002 from its vector alone (cosine 0.99997) —
enough to swap near ties. With ``rows_apart`` in force, attention runs per text over its own length
(no mask), exactly the call a single text gets; every other layer works on each token's row on its
own, so the batch's vectors are bit for bit each text's alone (``tests/test_batching.py``), while the
matrix products of all layers still run once for the whole batch. Outside ``rows_apart`` (passages)
the registered implementation is plain ``sdpa`` with its usual mask, so nothing else changes.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

NAME = "sdpa_rows_apart"

_rows_apart: contextvars.ContextVar[bool] = contextvars.ContextVar("rows_apart", default=False)


@contextlib.contextmanager
def rows_apart() -> Iterator[None]:
    """Within this block (this thread), batched attention treats each text alone."""
    token = _rows_apart.set(True)
    try:
        yield
    finally:
        _rows_apart.reset(token)


def _attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> Any:
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if not _rows_apart.get() or attention_mask is None or query.shape[0] == 1:
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    mask = attention_mask[:, 0, -1, :] if attention_mask.dim() == 4 else attention_mask
    valid = mask if mask.dtype == torch.bool else mask == 0
    length = query.shape[2]
    rows = []
    for row, size in enumerate(valid.sum(-1).tolist()):
        part = slice(row, row + 1)
        out, _weights = sdpa_attention_forward(
            module, query[part, :, :size], key[part, :, :size], value[part, :, :size], None, **kwargs
        )
        if size < length:  # padding positions: zeros (pooling leaves them out)
            out = torch.cat([out, out.new_zeros((1, length - size, *out.shape[2:]))], dim=1)
        rows.append(out)
    return torch.cat(rows, dim=0), None


def install(model: Any) -> bool:
    """Give a sentence-transformers model's transformer the per-text attention (when it uses sdpa);
    whether it now has it."""
    try:
        from transformers import AttentionInterface
        from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

        transformer = model[0].auto_model
        if transformer.config._attn_implementation != "sdpa":
            return False
        AttentionInterface.register(NAME, _attention)
        AttentionMaskInterface.register(NAME, sdpa_mask)
        transformer.set_attn_implementation(NAME)
    except (AttributeError, ImportError, IndexError, KeyError, TypeError, ValueError):
        return False
    return bool(transformer.config._attn_implementation == NAME)
