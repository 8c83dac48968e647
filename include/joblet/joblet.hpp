// joblet — joblib for C++20: the whole public API.
#pragma once

#include "config.hpp"     // joblet::Config
#include "cpu_count.hpp"  // joblet::cpu_count
#include "delayed.hpp"    // joblet::delayed, joblet::Delayed
#include "errors.hpp"     // joblet::TaskError, WorkerCrashed, TaskTimeout, NotSerializable, ...
#include "generator.hpp"  // joblet::Generator, joblet::Indexed
#include "grid.hpp"       // joblet::grid
#include "init.hpp"       // joblet::init
#include "kernels.hpp"    // joblet::kernels::parallel_for, map, zip, reduce, map_reduce, View
#include "observer.hpp"   // joblet::Observer, joblet::RunStart, joblet::TaskDone
#include "options.hpp"    // joblet::Options, joblet::Backend, joblet::ReturnAs, joblet::Progress
#include "outcome.hpp"    // joblet::Outcome
#include "parallel.hpp"   // joblet::Parallel
#include "random.hpp"     // joblet::task_seed, joblet::task_rng
#include "serialize.hpp"  // joblet::Transportable, joblet::require_transportable
#include "share.hpp"      // joblet::share, joblet::Shared
#include "task.hpp"       // joblet::Task
