// ingest_load: a bounded load test of the appliance's ingest API. N agents
// (enrolled state directories) each upload fresh, unique chunks over their
// own mTLS connection -- ask which are missing, upload them in batches --
// until a byte budget or a deadline, whichever comes first. Prints per-agent
// and aggregate ingest MB/s, request counts, errors, and p50/p99 latencies.
//
//   ingest_load --state DIR [--state DIR ...] [--seconds 60] [--mib-per-agent 256]
//
// A benchmark program, not a test (CONVENTIONS.md): bench/appliance_bench.py
// starts the appliance, enrolls the agents and runs it from `make bench`.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "agent/agent_state.h"
#include "agent/appliance_client.h"
#include "core/crypto/chunk_hasher.h"
#include "core/protocol/chunk_batch.h"

namespace {

using Clock = std::chrono::steady_clock;

struct AgentFigures {
  std::uint64_t bytes = 0, chunks = 0, requests = 0, errors = 0;
  std::vector<double> latencies_ms;
  std::string first_error;
};

void RunAgent(const cairn::AgentState& state, Clock::time_point deadline, std::uint64_t budget,
              std::uint32_t seed, AgentFigures& out) {
  auto client = cairn::ApplianceClient::Connect(state);
  if (!client.ok()) {
    ++out.errors;
    out.first_error = client.error().ToString();
    return;
  }
  cairn::ChunkHasher hasher(state.dedup.id_key);
  std::mt19937_64 rng(seed);
  constexpr std::size_t kChunk = 256 << 10, kPerBatch = 16;  // 4 MiB batches
  std::vector<cairn::Bytes> chunks(kPerBatch, cairn::Bytes(kChunk));
  // Bounded in count as well as time and bytes.
  for (int round = 0; round < 100000 && Clock::now() < deadline && out.bytes < budget; ++round) {
    std::vector<cairn::ChunkId> ids;
    for (auto& c : chunks) {
      for (std::size_t i = 0; i < c.size(); i += 8) {
        const std::uint64_t v = rng();
        std::memcpy(c.data() + i, &v, 8);
      }
      ids.push_back(hasher.Hash(c));
    }
    auto t0 = Clock::now();
    auto missing = (*client)->Missing(ids);
    auto t1 = Clock::now();
    ++out.requests;
    out.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (!missing.ok()) {
      ++out.errors;
      if (out.first_error.empty()) out.first_error = missing.error().ToString();
      return;
    }
    cairn::ChunkBatchWriter batch;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (std::find(missing->begin(), missing->end(), ids[i]) == missing->end()) continue;
      batch.Add(ids[i], cairn::EncodedPayload{cairn::ObjectCodec::kRaw,
                                              static_cast<std::uint32_t>(kChunk), chunks[i]});
    }
    const std::string& body = batch.Finish();
    auto t2 = Clock::now();
    cairn::Status s = (*client)->UploadBatch(body);
    auto t3 = Clock::now();
    ++out.requests;
    out.latencies_ms.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
    if (!s.ok()) {
      ++out.errors;
      if (out.first_error.empty()) out.first_error = s.ToString();
      return;
    }
    out.bytes += body.size();
    out.chunks += batch.count();
  }
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ingest_load: bounded load test of the appliance ingest API"};
  std::vector<std::string> states;
  int seconds = 60;
  std::uint64_t mib = 256;
  app.add_option("--state", states, "an enrolled agent state directory (one per agent)")->required();
  app.add_option("--seconds", seconds, "deadline per agent");
  app.add_option("--mib-per-agent", mib, "byte budget per agent");
  CLI11_PARSE(app, argc, argv);

  std::vector<cairn::AgentState> loaded;
  for (const std::string& dir : states) {
    auto s = cairn::AgentState::Load(dir);
    if (!s.ok()) {
      std::fprintf(stderr, "ingest_load: %s\n", s.error().ToString().c_str());
      return 1;
    }
    loaded.push_back(*s);
  }
  std::vector<AgentFigures> figures(loaded.size());
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    threads.emplace_back(RunAgent, std::cref(loaded[i]), deadline, mib << 20,
                         static_cast<std::uint32_t>(i * 7919 + 17), std::ref(figures[i]));
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();

  std::uint64_t bytes = 0, requests = 0, errors = 0, chunks = 0;
  std::vector<double> all;
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const AgentFigures& f = figures[i];
    bytes += f.bytes;
    requests += f.requests;
    errors += f.errors;
    chunks += f.chunks;
    all.insert(all.end(), f.latencies_ms.begin(), f.latencies_ms.end());
    std::printf("agent %zu  %8.1f MB  %6llu requests  %llu errors%s%s\n", i, f.bytes / 1e6,
                static_cast<unsigned long long>(f.requests), static_cast<unsigned long long>(f.errors),
                f.first_error.empty() ? "" : "  first: ", f.first_error.c_str());
  }
  std::printf("ingest load: %zu agents, %.1f s, %llu chunks, %.1f MB, %.1f MB/s aggregate, "
              "%llu requests, %llu errors, latency p50 %.1f ms p99 %.1f ms\n",
              figures.size(), secs, static_cast<unsigned long long>(chunks), bytes / 1e6,
              bytes / 1e6 / secs, static_cast<unsigned long long>(requests),
              static_cast<unsigned long long>(errors), Percentile(all, 0.50), Percentile(all, 0.99));
  return errors == 0 ? 0 : 1;
}
