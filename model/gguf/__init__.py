"""GGUF: the export llama.cpp (and Ollama, LM Studio, ...) runs, its vocabulary, llama.cpp's C API, and a GGUF file
served as a generation backend."""
