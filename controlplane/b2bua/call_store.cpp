#include "controlplane/b2bua/call_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace sbc::b2bua {

namespace {

std::string errnoText() {
    return std::strerror(errno);
}

// "<digits>.json" -> the number; 0 for anything else (call numbers start at 1).
std::uint64_t recordNumber(std::string_view name) {
    constexpr std::string_view kSuffix = ".json";
    if (name.size() <= kSuffix.size() || name.size() > 20 + kSuffix.size() ||
        !name.ends_with(kSuffix)) {
        return 0;
    }
    std::string_view digits = name.substr(0, name.size() - kSuffix.size());
    std::uint64_t n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
            return 0;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

bool isLeftoverTmp(std::string_view name) {
    return name.starts_with(".") && name.ends_with(".json.tmp");
}

bool writeAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// Reads a regular file of at most `max` bytes; the error text when it cannot.
bool readSmallFile(const std::string& path, std::size_t max, std::string& out, std::string& err) {
    // O_NONBLOCK: a FIFO planted in the directory must not hang the start.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        err = "cannot open: " + errnoText();
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        err = "not a regular file";
        return false;
    }
    out.clear();
    char buf[8192];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            err = "cannot read: " + errnoText();
            ::close(fd);
            return false;
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max) {
            ::close(fd);
            err = "larger than " + std::to_string(max) + " bytes";
            return false;
        }
    }
    ::close(fd);
    return true;
}

}  // namespace

FileCallStore::FileCallStore(std::string directory, std::size_t maxRecords)
    : dir_(std::move(directory)), maxRecords_(maxRecords) {
    while (dir_.size() > 1 && dir_.back() == '/') {
        dir_.pop_back();
    }
    if (dir_.empty()) {
        throw std::runtime_error("call state directory: empty path");
    }
    if (::mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
        throw std::runtime_error("call state directory " + dir_ + ": " + errnoText());
    }
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw std::runtime_error("call state directory " + dir_ + ": not a directory");
    }
    if (::access(dir_.c_str(), W_OK | X_OK) != 0) {
        throw std::runtime_error("call state directory " + dir_ + ": " + errnoText());
    }
}

std::string FileCallStore::pathOf(std::uint64_t callNumber) const {
    return dir_ + "/" + std::to_string(callNumber) + ".json";
}

bool FileCallStore::put(const CallRecord& record) {
    if (!known_.contains(record.callNumber) && known_.size() >= maxRecords_) {
        return false;
    }
    std::string data = encode(record);
    data.push_back('\n');
    std::string path = pathOf(record.callNumber);
    std::string tmp = dir_ + "/." + std::to_string(record.callNumber) + ".json.tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        return false;
    }
    bool ok = writeAll(fd, data);
    ok = ::close(fd) == 0 && ok;
    // rename(2) replaces the record atomically: readers see the old one or the new one.
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return false;
    }
    known_.insert(record.callNumber);
    return true;
}

void FileCallStore::erase(std::uint64_t callNumber) {
    ::unlink(pathOf(callNumber).c_str());
    known_.erase(callNumber);
}

LoadedCalls FileCallStore::loadAll() {
    LoadedCalls out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir_.c_str()), ::closedir);
    if (!d) {
        out.errors.push_back({dir_, "cannot list: " + errnoText()});
        return out;
    }
    std::vector<std::pair<std::uint64_t, std::string>> files;
    while (dirent* e = ::readdir(d.get())) {
        std::string_view name = e->d_name;
        if (isLeftoverTmp(name)) {
            // A put interrupted before its rename: the record it replaced (if any) is intact.
            ::unlink((dir_ + "/" + std::string(name)).c_str());
            continue;
        }
        if (std::uint64_t n = recordNumber(name); n != 0) {
            files.emplace_back(n, std::string(name));
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& [number, name] : files) {
        std::string path = dir_ + "/" + name;
        std::string text;
        std::string err;
        if (out.records.size() >= maxRecords_) {
            err = "more records than max_calls (" + std::to_string(maxRecords_) + ")";
        } else if (readSmallFile(path, CallRecordLimits::kMaxBytes, text, err)) {
            DecodeResult r = decode(text);
            if (!r.record) {
                err = r.error;
            } else if (r.record->callNumber != number) {
                err = "call number " + std::to_string(r.record->callNumber) +
                      " does not match the file name";
            } else {
                known_.insert(number);
                out.records.push_back(std::move(*r.record));
                continue;
            }
        }
        // A record that cannot be used is removed (the error is reported and logged), so that
        // it is not retried at every start and its number cannot shadow a new call's record.
        ::unlink(path.c_str());
        out.errors.push_back({path, err});
    }
    return out;
}

}  // namespace sbc::b2bua
