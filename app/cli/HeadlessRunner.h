#pragma once

#include "../server/ServerConfig.h"

// Runs the server with no window until SIGINT or SIGTERM, then closes every client with
// 1001 Going Away. Prints "Listening on <url>" as the first line on stdout.
class HeadlessRunner
{
public:
    static int run(const ServerConfig &config);
};
