// Selects LibTorch's X86 quantized engine, which tch 0.24 cannot name: its QEngine offers only
// FBGEMM and QNNPACK (torch-sys at_set_qengine). C++ exceptions stay on this side of the FFI.
#include <ATen/Context.h>

#include <cstddef>
#include <cstring>
#include <exception>

extern "C" int edgefusion_set_x86_qengine(char* error, std::size_t error_len) {
  try {
    at::globalContext().setQEngine(at::QEngine::X86);
    return 0;
  } catch (const std::exception& e) {
    if (error_len > 0) {
      std::strncpy(error, e.what(), error_len - 1);
      error[error_len - 1] = '\0';
    }
    return 1;
  }
}
