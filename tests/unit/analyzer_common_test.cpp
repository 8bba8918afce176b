// lib/decant/analyzer/common.cpp: which environment variables only describe how the process was
// started (they stay out of the image, listed in envDropped with their reasons).
#include <decant/analyzer/common.hpp>

#include <gtest/gtest.h>

using namespace decant;

TEST(StartupNoise, ShellTerminalSessionAndSystemdVariables)
{
  for (const char* name : {"_",
                           "PWD",
                           "OLDPWD",
                           "SHLVL",
                           "TERM",
                           "COLORTERM",
                           "COLUMNS",
                           "LINES",
                           "LS_COLORS",
                           "SSH_CLIENT",
                           "SSH_CONNECTION",
                           "SSH_TTY",
                           "SSH_AUTH_SOCK",
                           "XDG_SESSION_ID",
                           "XDG_SESSION_TYPE",
                           "XDG_RUNTIME_DIR",
                           "DBUS_SESSION_BUS_ADDRESS",
                           "SUDO_USER",
                           "SUDO_COMMAND",
                           "TMUX",
                           "STY",
                           "LESSOPEN",
                           "HISTFILE",
                           "INVOCATION_ID",
                           "JOURNAL_STREAM"}) {
    auto reason = startup_noise_reason(name);
    ASSERT_TRUE(reason) << name;
    EXPECT_FALSE(reason->empty()) << name;
  }
}

TEST(StartupNoise, WhatTheApplicationMayReadStays)
{
  // The identity, locale, search path and anything a start script set for the application.
  for (const char* name : {"PATH",
                           "HOME",
                           "USER",
                           "LOGNAME",
                           "SHELL",
                           "LANG",
                           "LC_ALL",
                           "TZ",
                           "JAVA_HOME",
                           "JAVA_OPTS",
                           "CATALINA_BASE",
                           "TERMINAL_ID",
                           "PWD_FILE",
                           "SSH",
                           "XDG_CONFIG_HOME",
                           "ASPNETCORE_URLS",
                           "NOTIFY_SOCKET_X",
                           "__",
                           ""}) {
    EXPECT_FALSE(startup_noise_reason(name)) << name;
  }
}
