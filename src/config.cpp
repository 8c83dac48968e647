#include "joblet/config.hpp"

namespace joblet {
namespace {

thread_local Config::Values in_effect;

}  // namespace

Config::Config(const Values& values) : previous_(in_effect) {
  if (values.n_jobs) in_effect.n_jobs = values.n_jobs;
  if (values.backend) in_effect.backend = values.backend;
  if (values.verbose) in_effect.verbose = values.verbose;
  if (values.inner_threads) in_effect.inner_threads = values.inner_threads;
}

Config::~Config() {
  in_effect = previous_;
}

Config::Values Config::current() {
  return in_effect;
}

}  // namespace joblet
