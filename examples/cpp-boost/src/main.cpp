// greet says hello to the names given on its command line; Boost's
// program_options parses them, so the program needs libstdc++ and the
// Boost library at run time.
#include <boost/program_options.hpp>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace po = boost::program_options;

int main(int argc, char **argv) {
    po::options_description desc("greet");
    desc.add_options()
        ("help", "show this help")
        ("name", po::value<std::vector<std::string>>()->composing(), "who to greet (repeatable)")
        ("count", "count the letters of each name");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
    } catch (const po::error &e) {
        std::cerr << "greet: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help") || !vm.count("name")) {
        std::cout << desc;
        return vm.count("help") ? 0 : 2;
    }
    std::map<std::string, std::size_t> letters;
    for (const auto &n : vm["name"].as<std::vector<std::string>>()) {
        std::cout << "hello, " << n << "\n";
        letters[n] = n.size();
    }
    if (vm.count("count")) {
        for (const auto &[n, k] : letters) std::cout << n << ": " << k << "\n";
    }
    return 0;
}
