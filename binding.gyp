{
  "targets": [
    {
      "target_name": "bttc_keccak",
      "sources": ["src/crypto/native/keccak.c", "src/crypto/native/addon.c"],
      "cflags": ["-O3", "-fno-strict-aliasing"],
      "cflags_c": ["-std=c11"],
      "xcode_settings": { "GCC_OPTIMIZATION_LEVEL": "3" },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2 } }
    }
  ]
}
