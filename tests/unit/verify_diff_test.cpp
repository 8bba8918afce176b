#include <decant/verify/diff.hpp>

#include <gtest/gtest.h>

using namespace decant;

namespace {

// A page like Tomcat's SessionExample: a session id (hex), a creation date, the same id again.
std::string
session_page(const std::string& id, const std::string& when)
{
  return "<html><body><h3>Sessions</h3>\nSession ID: " + id + "<br>\nCreated: " + when
         + "<br>\n<a href=\"SessionExample;jsessionid=" + id + "\">again</a></body></html>\n";
}

} // namespace

TEST(VerifyDiff, EqualBodiesAreTheSame)
{
  auto c = compare_bodies("<p>hello</p>", "<p>hello</p>");
  EXPECT_EQ(c.match, BodyMatch::same);
  EXPECT_TRUE(c.ranges.empty());
}

TEST(VerifyDiff, SessionIdsAndDatesAreSameShapeWithTheirByteRanges)
{
  std::string a = session_page("B73F93353E939BD46D9FBBE1372299D2", "Thu Nov 26 05:10:33 UTC 2026");
  std::string b = session_page("11DB31F3CA8DE89ED9B7642B66A24220", "Fri Nov 27 05:10:35 UTC 2026");
  auto c = compare_bodies(a, b);
  ASSERT_EQ(c.match, BodyMatch::same_shape);
  ASSERT_FALSE(c.ranges.empty());
  size_t ids = 0;
  for (const auto& r : c.ranges) {
    EXPECT_NE(r.kind, "content");
    // The ranges cut exactly the differing words out of both bodies.
    std::string sa = a.substr(r.source_begin, r.source_end - r.source_begin);
    std::string sb = b.substr(r.image_begin, r.image_end - r.image_begin);
    EXPECT_NE(sa, sb);
    if (r.kind == "id") {
      ++ids;
      EXPECT_EQ(sa, "B73F93353E939BD46D9FBBE1372299D2");
      EXPECT_EQ(sb, "11DB31F3CA8DE89ED9B7642B66A24220");
    }
  }
  EXPECT_EQ(ids, 2u);
  bool weekday = false;
  for (const auto& r : c.ranges) {
    weekday |= r.kind == "date" && r.source_text == "Thu";
  }
  EXPECT_TRUE(weekday);
}

TEST(VerifyDiff, NumbersAreComparedAsWholeWords)
{
  // The common prefix "Time: 12:0" must not split "05" from "07".
  auto c = compare_bodies("Time: 12:05:59 ok", "Time: 12:07:01 ok");
  ASSERT_EQ(c.match, BodyMatch::same_shape);
  ASSERT_EQ(c.ranges.size(), 2u);
  EXPECT_EQ(c.ranges[0].source_begin, 9u);
  EXPECT_EQ(c.ranges[0].source_end, 11u);
  EXPECT_EQ(c.ranges[0].source_text, "05");
  EXPECT_EQ(c.ranges[0].image_text, "07");
  EXPECT_EQ(c.ranges[1].source_text, "59");
  EXPECT_EQ(c.ranges[1].image_text, "01");
  // A number that grows a digit is still one number.
  EXPECT_EQ(compare_bodies("Visits: 9.", "Visits: 10.").match, BodyMatch::same_shape);
}

TEST(VerifyDiff, CsrfNoncesAreSameShape)
{
  std::string form = "<input type=\"hidden\" name=\"_csrf\" value=\"";
  auto c =
      compare_bodies(form + "q7+Zt1/Xk3bP0aR9wE2mNc4=\">", form + "Lm0p/9xYq2+Vb7Tn1KsQe8H=\">");
  ASSERT_EQ(c.match, BodyMatch::same_shape);
  for (const auto& r : c.ranges) {
    EXPECT_EQ(r.kind, "token");
  }
  // A UUID request id.
  EXPECT_EQ(compare_bodies("id=550e8400-e29b-41d4-a716-446655440000;",
                           "id=6fa459ea-ee8a-3ca4-894e-db77e160355e;")
                .match,
            BodyMatch::same_shape);
}

TEST(VerifyDiff, ChangedWordsInsertionsAndDeletionsAreDifferent)
{
  auto changed = compare_bodies("<title>Orders</title>", "<title>Error</title>");
  ASSERT_EQ(changed.match, BodyMatch::different);
  EXPECT_EQ(changed.ranges[0].kind, "content");
  EXPECT_EQ(changed.ranges[0].source_text, "Orders");
  EXPECT_EQ(changed.ranges[0].image_text, "Error");
  EXPECT_EQ(compare_bodies("a b c", "a b X c").match, BodyMatch::different);
  EXPECT_EQ(compare_bodies("a b 1234 c", "a b c").match, BodyMatch::different);
  // Short words that look like ids are not: "HTTP" vs "HTTPS", "v1" vs "v2" are content.
  EXPECT_EQ(compare_bodies("use HTTP now", "use HTTPS now").match, BodyMatch::different);
  EXPECT_EQ(compare_bodies("api v1", "api v2").match, BodyMatch::different);
  // A different time zone is a real difference, not a timestamp.
  EXPECT_EQ(compare_bodies("12:00 UTC", "12:00 CET").match, BodyMatch::different);
}

TEST(VerifyDiff, AnErrorPageInsteadOfThePageIsDifferent)
{
  std::string page(3000, 'x');
  for (size_t i = 0; i < page.size(); i += 7) {
    page[i] = ' ';
  }
  auto c = compare_bodies(page, "<h1>HTTP Status 500 - Internal Server Error</h1>");
  EXPECT_EQ(c.match, BodyMatch::different);
}

TEST(VerifyDiff, TooManyEditsStopWithOneRange)
{
  std::string a;
  std::string b;
  for (int i = 0; i < 6000; ++i) {
    a += "w" + std::to_string(i) + "a ";
    b += "w" + std::to_string(i) + "b ";
  }
  auto c = compare_bodies(a, b);
  EXPECT_EQ(c.match, BodyMatch::different);
  ASSERT_EQ(c.ranges.size(), 1u);
  EXPECT_EQ(c.ranges[0].kind, "content");
}

TEST(VerifyDiff, ExcerptEscapesAndShortens)
{
  EXPECT_EQ(excerpt("a\nb\tc\x01"), "a\\nb\\tc\\x01");
  EXPECT_EQ(excerpt(std::string(100, 'z'), 10), std::string(10, 'z') + "...");
  EXPECT_EQ(to_string(BodyMatch::same_shape), "same shape");
}
