// CDeleter: wrap a C handle in std::unique_ptr the moment it is obtained.
//   using ZstdCctx = CHandle<ZSTD_CCtx, ZSTD_freeCCtx>;
//   ZstdCctx cctx(ZSTD_createCCtx());
// The free function's return value (some return int/size_t) is ignored on
// purpose: a destructor has nowhere to report it.
#pragma once

#include <memory>

namespace cairn {

template <auto FreeFn>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) (void)FreeFn(p);
  }
};

template <typename T, auto FreeFn>
using CHandle = std::unique_ptr<T, CDeleter<FreeFn>>;

}  // namespace cairn
