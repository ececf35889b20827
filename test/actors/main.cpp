// The one translation unit that defines the CAF test engine and main().
#include "caf/test/unit_test_impl.hpp"
