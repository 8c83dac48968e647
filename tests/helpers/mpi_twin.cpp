// Built twice with a different JOBLET_TWIN, so that the two executables differ: started
// together in one MPI job (mpirun -np 1 twin_a : -np 2 twin_b), rank 0 must refuse to start.
#include <iostream>

#include "joblet/joblet.hpp"

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  std::cout << "twin " << JOBLET_TWIN << " ran its program\n";
  return 0;
}
