// Boost.JSON is used header-only; its implementation is compiled once, here, for every component.
#include <boost/json/src.hpp>
