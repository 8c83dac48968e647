// joblet — init(argc, argv): the one line a program that uses processes needs.
#pragma once

namespace joblet {

/// Starts the fork server that worker processes are forked from. Call it first thing in main,
/// before the program starts any thread: every worker is a copy of the program as it is now,
/// and a copy made while another thread holds a lock (in malloc, in iostreams, in your code)
/// would inherit that lock held forever. Without init, the first processes run starts the
/// server, copying the program as it is then. Only Backend::processes needs it.
void init(int& argc, char**& argv);

}  // namespace joblet
