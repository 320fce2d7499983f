# Sourced by the load scripts: a plugin folder for the benchmarks.

# with_trivial SOURCE DEST: DEST holds SOURCE's plugins and the trivial fixture
# plugin (`echo`, `page`: the stack with no database and no shaping).
with_trivial() {
  mkdir -p "$2"
  cp "$1"/* "$2/"
  cp target/wasm32-wasip2/release/trivial_plugin.wasm "$2/trivial.wasm"
  printf 'name = "trivial"\nversion = "0.0.1"\ngrants = []\n' >"$2/trivial.toml"
}
