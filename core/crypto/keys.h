// keys.h: everything about a store's keys in one include, for the store
// engine and cairnctl. Each concept has its own header:
//   secret_key.h      key types (MasterKey, DataKey, IdKey, KeyFileKey),
//                     GenerateMasterKey
//   key_derivation.h  DeriveKeys: data/id keys, chunker gear table, config MAC
//   key_file.h        CreateKeyFile / LoadKeyFile
//   key_slot.h        KeySlot: the master key wrapped by a key file or a
//                     passphrase (scrypt), with its JSON form
// Thread-safety: see each header (all are values and pure functions).
#pragma once

#include "core/crypto/key_derivation.h"
#include "core/crypto/key_file.h"
#include "core/crypto/key_slot.h"
#include "core/crypto/secret_key.h"
