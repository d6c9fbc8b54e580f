# lit configuration for dlc: IR tests through dl-opt, tool tests through the
# dlc and dlrun binaries. Paths come from lit.site.cfg.py.
import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "dlc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".dl", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlc_obj_root, "test", "lit")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.substitutions.append(("%dlc_src_root", config.dlc_src_root))
# Test helpers run on the interpreter that runs lit (standard library only).
config.substitutions.append(("%python", sys.executable))
# Helpers that need numpy or onnx run in the bootstrapped environment.
config.substitutions.append(
    ("%venv_python", os.path.join(config.dlc_obj_root, "venv", "bin", "python3")))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = [t for t in ["dl-opt", "dlc", "dlrun"]
         if os.path.exists(os.path.join(config.dlc_tools_dir, t))]
llvm_config.add_tool_substitutions(tools, [config.dlc_tools_dir])
