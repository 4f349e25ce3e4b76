// Shared set-up for engine tests: a fresh store with its key, and helpers to
// back up / restore a directory through the real engine.
#pragma once

#include <catch2/catch.hpp>

#include "core/engine/backup.h"
#include "core/engine/directory_source.h"
#include "core/engine/restore.h"
#include "core/tree/tree_restorer.h"
#include "tests/support/temp_dir.h"

namespace cairn {

struct StoreFixture {
  TempDir tmp;
  fs::path dir = tmp.path() / "store";
  fs::path key = tmp.path() / "store.key";
  fs::path src = tmp.path() / "src";

  StoreFixture() { REQUIRE(Store::Init(DefaultFileSystem(), dir, key, StoreOptions{}).ok()); }

  std::unique_ptr<Store> Open(FileSystem& fs = DefaultFileSystem()) {
    auto s = Store::Open(fs, dir, KeySource{key, std::nullopt});
    REQUIRE(s.ok());
    return std::move(*s);
  }

  static Result<BackupResult> Backup(Store& store, const fs::path& source, std::string name = "t") {
    auto dir_source = DirectorySource::Open(source);
    if (!dir_source.ok()) return dir_source.error();
    BackupRequest request;
    request.name = std::move(name);
    request.threads = 2;
    return RunBackup(store, **dir_source, request);
  }

  static Result<RestoreResult> Restore(Store& store, const std::string& snapshot,
                                       const fs::path& target) {
    auto sink = TreeRestorer::Create(target);
    if (!sink.ok()) return sink.error();
    RestoreRequest request;
    request.snapshot = snapshot;
    request.threads = 2;
    return RunRestore(store, request, **sink);
  }
};

}  // namespace cairn
