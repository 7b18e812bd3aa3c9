"""A checkpoint as one GGUF file that llama.cpp (and Ollama, LM Studio, ...) runs as its `gemma3` architecture.

llama.cpp's Gemma 3 graph multiplies by the stored RMSNorm weight, where ours (and Hugging Face's) multiplies by
(1 + w): its own converter adds 1 to every `*norm.weight`, and so do we. The sliding/full pattern is written per
layer and the sliding layers' RoPE base as its own key; llama.cpp builds before both keys were read for gemma3
(2025) assume a full layer every 6th and a base of 10,000, which the `gemma3-270m` preset has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np
from tqdm import tqdm

from model.chat_format import CHAT_TEMPLATE
from model.config import ModelConfig
from model.errors import ModelInputError
from model.gemma3 import Gemma3ForCausalLM
from model.gguf.vocabulary import add_vocabulary, gguf_vocabulary
from model.hf import from_hf
from model.sampling import Sampling

ARCH = gguf.MODEL_ARCH.GEMMA3
FILE_TYPES = {
    "f32": (gguf.LlamaFileType.ALL_F32, gguf.GGMLQuantizationType.F32),
    "f16": (gguf.LlamaFileType.MOSTLY_F16, gguf.GGMLQuantizationType.F16),
    "bf16": (gguf.LlamaFileType.MOSTLY_BF16, gguf.GGMLQuantizationType.BF16),
    "q8_0": (gguf.LlamaFileType.MOSTLY_Q8_0, gguf.GGMLQuantizationType.Q8_0),
}


def check_llama_cpp_can_run(config: ModelConfig) -> None:
    """Raise unless llama.cpp's `gemma3` computes this config's model: it scales queries by head_dim ** -0.5
    (by (width / heads) ** -0.5 when the model has 62 layers, Gemma 3 27B's count), whatever the file says."""
    llama_scale_dim = config.hidden_size // config.num_heads if config.num_layers == 62 else config.head_dim
    if config.query_pre_attn_scalar != llama_scale_dim:
        raise ModelInputError(f"llama.cpp cannot run this model as gemma3: query_pre_attn_scalar is "
                         f"{config.query_pre_attn_scalar}, where llama.cpp scales queries by {llama_scale_dim} ** -0.5")


def add_hyperparameters(writer: gguf.GGUFWriter, config: ModelConfig, name: str) -> None:
    writer.add_name(name)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_heads)
    writer.add_head_count_kv(config.num_kv_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_sliding_window(config.sliding_window)
    writer.add_sliding_window_pattern([kind == "sliding" for kind in config.layer_types])
    if (config.rope_local_factor, config.rope_global_factor) != (1.0, 1.0):
        raise ModelInputError("a model with linear RoPE scaling (rope_parameters' factor) is not exported to GGUF: "
                              "its scaling metadata is not written, and llama.cpp would run it wrong")
    writer.add_rope_freq_base(config.rope_global_base)
    writer.add_rope_freq_base_swa(config.rope_local_base)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_final_logit_softcapping(0.0)  # none: llama.cpp reads 0 as off


def gguf_tensors(module: Gemma3ForCausalLM, quant: gguf.GGMLQuantizationType
                 ) -> Iterator[tuple[str, np.ndarray, gguf.GGMLQuantizationType]]:
    """(GGUF name, array, its GGML type) per parameter: norms as fp32 (1 + w), matrices in `quant`."""
    names = gguf.get_tensor_name_map(ARCH, module.config.num_layers)
    for name, param in module.state_dict().items():
        gguf_name = names.get_name(name, try_suffixes=(".weight",))
        if gguf_name is None:
            raise ModelInputError(f"no GGUF tensor for parameter {name}")
        data = param.detach().float().cpu()
        if name.endswith("norm.weight"):
            yield gguf_name, (data + 1.0).numpy(), gguf.GGMLQuantizationType.F32
            continue
        kind = quant
        if quant == gguf.GGMLQuantizationType.Q8_0 and data.shape[-1] % gguf.GGML_QUANT_SIZES[quant][0]:
            kind = gguf.GGMLQuantizationType.F16  # q8_0 blocks are 32 values of a row
        array = data.numpy()
        yield gguf_name, array if kind == gguf.GGMLQuantizationType.F32 else gguf.quants.quantize(array, kind), kind


def export_gguf(checkpoint: str | Path, out: str | Path, file_type: str = "f16") -> Path:
    """Write CHECKPOINT (weights, config, tokenizer.model) as a GGUF file with the chat template of
    model/chat_format.py; returns its path."""
    if file_type not in FILE_TYPES:
        raise ModelInputError(f"--type {file_type!r} is not one of {', '.join(FILE_TYPES)}")
    source, out = Path(checkpoint), Path(out)
    tokenizer = source / "tokenizer.model"
    if not tokenizer.exists():
        raise FileNotFoundError(f"{source} has no tokenizer.model: a GGUF file carries its tokenizer; copy the "
                                f"SentencePiece model the checkpoint was trained with into {source}")
    module = from_hf(source)
    config = module.config
    check_llama_cpp_can_run(config)
    vocabulary = gguf_vocabulary(tokenizer, config.vocab_size)
    llama_type, quant = FILE_TYPES[file_type]
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out), gguf.MODEL_ARCH_NAMES[ARCH])
    add_hyperparameters(writer, config, source.name)
    writer.add_file_type(llama_type)
    add_vocabulary(writer, vocabulary, config)
    writer.add_chat_template(CHAT_TEMPLATE)
    tensors = gguf_tensors(module, quant)
    for name, array, kind in tqdm(tensors, total=len(module.state_dict()), desc=f"gguf {file_type}", unit="tensor"):
        writer.add_tensor(name, np.ascontiguousarray(array), raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


# Gemma 3's turns in Ollama's Go template language; a system message is folded into the first user turn, as
# Gemma's own template does. The sampling settings are the project's defaults (model/sampling.py).
OLLAMA_TEMPLATE = """{{- $system := "" }}
{{- range $i, $m := .Messages }}
{{- if eq $m.Role "system" }}{{ $system = $m.Content }}{{ continue }}{{ end }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq $m.Role "user" }}<start_of_turn>user
{{ if $system }}{{ $system }}

{{ $system = "" }}{{ end }}{{ $m.Content }}<end_of_turn>
{{ if $last }}<start_of_turn>model
{{ end }}
{{- else if eq $m.Role "assistant" }}<start_of_turn>model
{{ $m.Content }}{{ if not $last }}<end_of_turn>
{{ end }}
{{- end }}
{{- end }}"""


def write_modelfile(gguf_file: Path) -> Path:
    """An Ollama Modelfile beside the GGUF file: `ollama create NAME -f FILE.Modelfile`."""
    modelfile, sampling = gguf_file.with_suffix(".Modelfile"), Sampling()
    modelfile.write_text(
        f'FROM ./{gguf_file.name}\nTEMPLATE """{OLLAMA_TEMPLATE}"""\nPARAMETER stop "<end_of_turn>"\n'
        f"PARAMETER temperature {sampling.temperature}\nPARAMETER top_k {sampling.top_k}\n"
        f"PARAMETER top_p {sampling.top_p}\nPARAMETER repeat_penalty {sampling.repetition_penalty}\n",
        encoding="utf-8",
    )
    return modelfile
