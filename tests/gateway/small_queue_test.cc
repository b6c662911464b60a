#include "cable/gateway/small_queue.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace cable::gateway {
namespace {

TEST(SmallQueue, IsFifoAndReusesItsStorage) {
  SmallQueue<std::string> q;
  EXPECT_TRUE(q.empty());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) q.push_back(std::to_string(i));
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(q.back(), "4");
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(q.front(), std::to_string(i));
      q.pop_front();
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(SmallQueue, PopBackKeepsTheFront) {
  SmallQueue<std::string> q;
  for (int i = 0; i < 4; ++i) q.push_back(std::to_string(i));
  q.pop_front();
  while (q.size() > 1) q.pop_back();
  EXPECT_EQ(q.front(), "1");
  q.pop_back();
  EXPECT_TRUE(q.empty());
  q.push_back("again");
  EXPECT_EQ(q.front(), "again");
}

TEST(SmallQueue, ReleasesWhatItHolds) {
  auto item = std::make_shared<int>(7);
  SmallQueue<std::shared_ptr<int>> q;
  q.push_back(item);
  q.push_back(item);
  EXPECT_EQ(item.use_count(), 3);
  q.pop_front();
  EXPECT_EQ(item.use_count(), 2);
  q.clear();
  EXPECT_EQ(item.use_count(), 1);
}

TEST(SmallQueue, IteratesFromTheFront) {
  SmallQueue<int> q;
  for (int i = 0; i < 4; ++i) q.push_back(i);
  q.pop_front();
  int expected = 1;
  for (int v : q) EXPECT_EQ(v, expected++);
  EXPECT_EQ(expected, 4);
}

}  // namespace
}  // namespace cable::gateway
