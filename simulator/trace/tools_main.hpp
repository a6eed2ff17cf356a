#pragma once
// The trace tools as subcommands of nt35e-sim (and of tools/nt35e-import, tools/nt35e-report):
//
//   nt35e-sim import [--format auto|plain|timestamped|sscom|annotated|hex]
//                    [--to trace|scenario] [-o OUT] LOGFILE
//   nt35e-sim report [-o OUT.html] TRACE.jsonl
//
// argv[0] is the subcommand's name. Exit status: 0 done, 1 a problem with the input (each
// message on stderr names the file and line), 2 a usage error (one sentence and "try --help").

namespace nt35e::trace {

int import_main(int argc, char** argv);
int report_main(int argc, char** argv);

}  // namespace nt35e::trace
