# -*- Python -*-
# lit configuration running QuantC's gtest unit tests, one lit test per case.
import os

import lit.formats

config.name = "QuantC-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.quantc_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
