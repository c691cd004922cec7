//! uniffi's binding generator, built from this workspace so its version always
//! matches the library's. See `mobile-bindings/generate.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
