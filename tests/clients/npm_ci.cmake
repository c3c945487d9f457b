# cmake -DNPM=/usr/bin/npm -DCLIENTS_DIR=<tests/clients> -P npm_ci.cmake
# Runs `npm ci` unless node_modules was already installed from this exact package-lock.json.
# The stamp lives inside node_modules, so `npm ci` (which deletes node_modules) also drops it.

if(NOT NPM OR NOT CLIENTS_DIR)
    message(FATAL_ERROR "usage: cmake -DNPM=<npm> -DCLIENTS_DIR=<dir> -P npm_ci.cmake")
endif()

set(lock ${CLIENTS_DIR}/package-lock.json)
set(stamp ${CLIENTS_DIR}/node_modules/.switchboard-npm-ci.stamp)

# Build directories share one node_modules: serialise installs.
file(LOCK ${CLIENTS_DIR}/.npm-ci.lock GUARD PROCESS TIMEOUT 600 RESULT_VARIABLE lock_result)
if(NOT lock_result EQUAL 0)
    message(FATAL_ERROR "could not lock ${CLIENTS_DIR}/.npm-ci.lock: ${lock_result}")
endif()

file(SHA256 ${lock} lock_hash)
file(SHA256 ${CLIENTS_DIR}/package.json package_hash)
set(wanted "package-lock.json ${lock_hash}\npackage.json ${package_hash}\n")

if(EXISTS ${stamp})
    file(READ ${stamp} have)
    if(have STREQUAL wanted)
        message(STATUS "node_modules is up to date with package-lock.json: npm ci skipped")
        return()
    endif()
endif()

message(STATUS "npm ci --no-audit --no-fund in ${CLIENTS_DIR}")
execute_process(COMMAND ${NPM} ci --no-audit --no-fund
                WORKING_DIRECTORY ${CLIENTS_DIR}
                RESULT_VARIABLE npm_result)
if(NOT npm_result EQUAL 0)
    message(FATAL_ERROR "npm ci failed (${npm_result})")
endif()
file(WRITE ${stamp} "${wanted}")
message(STATUS "node_modules installed from package-lock.json")
