"""The WebAssembly binary format: read by everything else in wasmmerge."""
