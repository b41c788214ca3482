"""BERT (Devlin et al. 2019) as Hugging Face ``transformers`` builds it (``BertModel``, with
its pooler), with the published configurations of ``google-bert/bert-base-uncased`` and
``bert-large-uncased`` (config.json: vocab 30522, max_position_embeddings 512,
type_vocab_size 2, gelu).

Post-norm blocks: ``norm(x + attention(x))``, ``norm(x + output(gelu(intermediate(x))))``.
Rows are named as the modules: ``embeddings.word_embeddings``,
``embeddings.token_type_embeddings`` (2 rows, added to every position: a Custom layer with
its table's parameters and one add per element), ``embeddings.position_embeddings``,
``embeddings.LayerNorm``, ``encoder.layer.0.attention`` (parts ``q_proj``, ``k_proj``,
``v_proj`` = HF's ``attention.self.query/key/value``, ``out_proj`` =
``attention.output.dense``), ``encoder.layer.0.attention.output.LayerNorm``,
``encoder.layer.0.intermediate.dense``, ``encoder.layer.0.output.dense``,
``encoder.layer.0.output.LayerNorm``; ``pooler.first_token`` (hidden state of the first
token), ``pooler.dense``, ``pooler.activation`` (tanh). ``encoder.layer`` is a Repeat.

>>> import symcost as sc
>>> entry = sc.zoo.get("bert_base")
>>> entry.build().cost(entry.input(), "macs").total.params
109482240
"""

from __future__ import annotations

from ..containers import Sequential
from ..layers.activation import GELU, Tanh
from ..layers.attention import MultiheadAttention
from ..layers.custom import Custom
from ..layers.embedding import Embedding, PositionalEmbedding
from ..layers.linear import Linear
from ..layers.norm import LayerNorm
from .transformer_blocks import stack, transformer_block

__all__ = ["MODELS", "bert_model", "bert_base", "bert_large"]


def bert_model(*, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
               vocab_size=30522, max_position_embeddings=512, type_vocab_size=2,
               name: str = "bert") -> Sequential:
    """``BertModel`` (with pooler) of a ``BertConfig`` given by its field names."""
    d = hidden_size
    block = transformer_block([
        ("attention.output.LayerNorm", LayerNorm(normalized_shape=d), [
            ("attention", MultiheadAttention(embed_dim=d, num_heads=num_attention_heads))]),
        ("output.LayerNorm", LayerNorm(normalized_shape=d), [
            ("intermediate.dense", Linear(in_features=d, out_features=intermediate_size)),
            ("intermediate.intermediate_act_fn", GELU()),
            ("output.dense", Linear(in_features=intermediate_size, out_features=d))]),
    ], pre_norm=False)
    embeddings = Sequential(name="embeddings", layers=(
        Embedding(num_embeddings=vocab_size, embedding_dim=d, name="word_embeddings"),
        # token_type_ids default to zeros: one row looked up and added at every position
        Custom(name="token_type_embeddings", label="token type embeddings",
               counts={"add": "N*L*D"}, params=type_vocab_size * d,
               backward_counts={"add": "N*L*D"}),  # the row's gradient, summed
        PositionalEmbedding(num_positions=max_position_embeddings, embedding_dim=d,
                            name="position_embeddings"),
        LayerNorm(normalized_shape=d, name="LayerNorm")))
    pooler = Sequential(name="pooler", layers=(
        Custom(name="first_token", label="hidden state of the first token", counts={},
               output={"L": 1}, backward_counts={}),
        Linear(in_features=d, out_features=d, name="dense"),
        Tanh(name="activation")))
    return Sequential(name=name, layers=(
        embeddings, Sequential(name="encoder", layers=(
            stack(block, num_hidden_layers, name="layer"),)), pooler))


def bert_base() -> Sequential:
    """BERT-base (uncased): 12 layers, width 768, 12 heads, FFN 3072, with pooler."""
    return bert_model(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                      intermediate_size=3072, name="bert_base")


def bert_large() -> Sequential:
    """BERT-large (uncased): 24 layers, width 1024, 16 heads, FFN 4096, with pooler."""
    return bert_model(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                      intermediate_size=4096, name="bert_large")


#: The builders registered in the zoo by name.
MODELS = (bert_base, bert_large)
