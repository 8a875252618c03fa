{
  "targets": [
    {
      "target_name": "albert_node",
      "sources": ["<!@(node native/sources.js)"],
      "include_dirs": ["native/core", "native/addon"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc!": ["-O2"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-Wall", "-Wextra"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "AdditionalOptions": ["/std:c++17", "/O2", "/utf-8"]
        }
      }
    }
  ]
}
