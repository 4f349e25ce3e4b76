// Waiting for an appliance job (POST /v1/jobs/{kind} starts one; docs/api.md
// "Jobs"): polls GET /v1/jobs/{id} until it is no longer running, drawing a
// progress line on stderr while stderr is a terminal, and printing a job's
// summary. Shared by `cairnctl verify --wait` and `cairnctl job`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "appliance/ctl/remote_client.h"

namespace cairn::ctl {

// The job's JSON once its state is not "running". A failed poll is retried
// a few times (the appliance may be busy), then returned.
Result<nlohmann::json> WaitForJob(AdminClient& client, const std::string& id);

// "verify  1234 chunks  1.2 GiB of 3.4 GiB  118.0 MB/s  0 damaged": the
// progress figures of a job's JSON in one line.
std::string JobProgressText(const nlohmann::json& job);

// One block: id, kind, state, who, when, progress, error; then the result
// (a verify job's in words, any other kind's as JSON).
void PrintJob(const nlohmann::json& job);

// Exit status for a finished job: 0 when it succeeded (and, for verify,
// nothing stays damaged), 1 otherwise.
int JobExitCode(const nlohmann::json& job);

}  // namespace cairn::ctl
