// thumbpipe-worker: started by the launcher, one per worker slot.
#include "worker/worker.h"

int main(int argc, char** argv) { return thumbpipe::WorkerProcessMain(argc, argv); }
