#pragma once

// Where the dashboard's server is in its life, as the server bar shows it.
enum class ServerState { Stopped, Starting, Listening, Stopping, Failed };
