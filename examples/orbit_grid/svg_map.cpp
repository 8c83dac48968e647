#include "svg_map.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orbit_grid {

namespace {

// Page layout in SVG pixels.
constexpr double kWidth = 900;
constexpr double kHeight = 620;
constexpr double kPlotLeft = 90;
constexpr double kPlotTop = 75;
constexpr double kPlotWidth = 640;
constexpr double kPlotHeight = 420;
constexpr double kPlotBottom = kPlotTop + kPlotHeight;
constexpr double kBarLeft = 765;
constexpr double kBarWidth = 20;
constexpr double kTickLength = 5;

struct Rgb {
  double red;
  double green;
  double blue;
};

// Matplotlib's viridis at nine even steps: perceptually uniform and readable in grey.
constexpr std::array<Rgb, 9> kViridis{{{0x44, 0x01, 0x54},
                                       {0x47, 0x2d, 0x7b},
                                       {0x3b, 0x52, 0x8b},
                                       {0x2c, 0x72, 0x8e},
                                       {0x21, 0x91, 0x8c},
                                       {0x28, 0xae, 0x80},
                                       {0x5e, 0xc9, 0x62},
                                       {0xad, 0xdc, 0x30},
                                       {0xfd, 0xe7, 0x25}}};

// Low chi2 is drawn bright so that the best fits stand out against a dark background.
std::string colour_of(double fraction_of_range) {
  const double position =
      std::clamp(1 - fraction_of_range, 0.0, 1.0) * static_cast<double>(kViridis.size() - 1);
  const auto lower = std::min(static_cast<std::size_t>(position), kViridis.size() - 2);
  const double blend = position - static_cast<double>(lower);
  const Rgb& a = kViridis[lower];
  const Rgb& b = kViridis[lower + 1];
  std::ostringstream hex;
  hex << '#' << std::hex << std::setfill('0');
  for (const double channel :
       {a.red + (b.red - a.red) * blend, a.green + (b.green - a.green) * blend,
        a.blue + (b.blue - a.blue) * blend})
    hex << std::setw(2) << static_cast<int>(std::lround(channel));
  return hex.str();
}

// Maps an interval of data onto an interval of the page.
class Scale {
 public:
  Scale(double data_from, double data_to, double page_from, double page_to)
      : data_from_(data_from),
        page_from_(page_from),
        factor_((page_to - page_from) / (data_to - data_from)) {}
  double operator()(double value) const { return page_from_ + (value - data_from_) * factor_; }

 private:
  double data_from_;
  double page_from_;
  double factor_;
};

// Round numbers (1, 2 or 5 times a power of ten apart) within [low, high], about eight of them.
std::vector<double> linear_ticks(double low, double high) {
  constexpr double kAboutTicks = 8;
  if (!(high > low)) return {low};
  const double rough = (high - low) / kAboutTicks;
  const double power = std::pow(10, std::floor(std::log10(rough)));
  double step = 10 * power;
  for (const double mantissa : {1.0, 2.0, 5.0}) {
    if (mantissa * power >= rough) {
      step = mantissa * power;
      break;
    }
  }
  // Counting steps rather than adding them up keeps rounding from drifting the last tick.
  std::vector<double> ticks;
  const auto first = static_cast<long>(std::ceil(low / step - 1e-9));
  const auto last = static_cast<long>(std::floor(high / step + 1e-9));
  for (long k = first; k <= last; ++k)
    ticks.push_back(static_cast<double>(k) * step);
  return ticks;
}

// Ticks for a log axis over [low, high]: 1, 2 and 5 times the powers of ten; only the powers
// when that makes too many; every multiple 1-9 when too few; round numbers on a narrow range.
std::vector<double> log_ticks(double low, double high) {
  constexpr std::size_t kFewest = 3;
  constexpr std::size_t kMost = 9;
  const auto ticks_with = [low, high](std::initializer_list<double> mantissas) {
    std::vector<double> ticks;
    const auto first = static_cast<int>(std::floor(std::log10(low)));
    const auto last = static_cast<int>(std::floor(std::log10(high)));
    for (int exponent = first; exponent <= last; ++exponent) {
      for (const double mantissa : mantissas) {
        if (const double tick = mantissa * std::pow(10.0, exponent); tick >= low && tick <= high)
          ticks.push_back(tick);
      }
    }
    return ticks;
  };
  auto ticks = ticks_with({1, 2, 5});
  if (ticks.size() > kMost) return ticks_with({1});
  if (ticks.size() >= kFewest) return ticks;
  ticks = ticks_with({1, 2, 3, 4, 5, 6, 7, 8, 9});
  if (ticks.size() >= kFewest) return ticks;
  return linear_ticks(low, high);
}

std::string number(double value, int decimals) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(decimals) << value;
  return text.str();
}

// A tick label: as few digits as the value needs.
std::string label(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The edges of the cells centred on `centres` (evenly spaced): halfway between neighbours, and
// half a step beyond the first and last. A lone cell is `lone_width` wide.
std::vector<double> cell_edges(const std::vector<double>& centres, double lone_width) {
  const double step = centres.size() > 1 ? centres[1] - centres[0] : lone_width;
  std::vector<double> edges;
  edges.reserve(centres.size() + 1);
  for (const double centre : centres)
    edges.push_back(centre - step / 2);
  edges.push_back(centres.back() + step / 2);
  return edges;
}

// Writers of the few SVG elements the picture uses. Coordinates keep two decimals, which is
// far below a pixel and keeps the file small.
void line(std::ostream& svg, double x1, double y1, double x2, double y2) {
  svg << "<line x1='" << number(x1, 2) << "' y1='" << number(y1, 2) << "' x2='" << number(x2, 2)
      << "' y2='" << number(y2, 2) << "' stroke='black'/>\n";
}

void text(std::ostream& svg, double x, double y, std::string_view anchor, std::string_view content,
          std::string_view attributes = "") {
  svg << "<text x='" << number(x, 2) << "' y='" << number(y, 2) << "' text-anchor='" << anchor
      << "' " << attributes << '>' << escaped(content) << "</text>\n";
}

// Text read from bottom to top, centred on (x, y).
void vertical_text(std::ostream& svg, double x, double y, std::string_view content) {
  svg << "<text transform='translate(" << number(x, 2) << ' ' << number(y, 2)
      << ") rotate(-90)' text-anchor='middle' font-size='15'>" << escaped(content) << "</text>\n";
}

void rect(std::ostream& svg, double x, double y, double width, double height, std::string_view fill,
          std::string_view attributes = "") {
  svg << "<rect x='" << number(x, 2) << "' y='" << number(y, 2) << "' width='" << number(width, 2)
      << "' height='" << number(height, 2) << "' fill='" << fill << "' " << attributes << "/>\n";
}

// A circle drawn twice, wide and dark under narrow and light, so that it shows on any colour.
void ring(std::ostream& svg, double cx, double cy) {
  for (const std::string_view style :
       {"stroke='black' stroke-width='4.5'", "stroke='white' stroke-width='2'"}) {
    svg << "<circle cx='" << number(cx, 2) << "' cy='" << number(cy, 2) << "' r='10' fill='none' "
        << style << "/>\n";
  }
}

// A diagonal cross, with a dark halo for the same reason.
void cross(std::ostream& svg, double cx, double cy) {
  constexpr double kArm = 6;
  for (const std::string_view style :
       {"stroke='black' stroke-width='5'", "stroke='#ff3b30' stroke-width='2.5'"}) {
    svg << "<path d='M" << number(cx - kArm, 2) << ' ' << number(cy - kArm, 2) << 'L'
        << number(cx + kArm, 2) << ' ' << number(cy + kArm, 2) << 'M' << number(cx - kArm, 2) << ' '
        << number(cy + kArm, 2) << 'L' << number(cx + kArm, 2) << ' ' << number(cy - kArm, 2)
        << "' fill='none' " << style << "/>\n";
  }
}

}  // namespace

void write_svg(const std::filesystem::path& file, const Chi2Map& map) {
  // Cells are centred on their grid values, so the axes reach half a step past the grid.
  std::vector<double> log_periods;
  log_periods.reserve(map.periods.size());
  for (const double period : map.periods)
    log_periods.push_back(std::log10(period));
  const auto x_edges = cell_edges(log_periods, 1);
  const auto y_edges = cell_edges(map.eccentricities, 0.1);
  const Scale x(x_edges.front(), x_edges.back(), kPlotLeft, kPlotLeft + kPlotWidth);
  const Scale y(y_edges.front(), y_edges.back(), kPlotBottom, kPlotTop);
  const auto x_of_period = [&x](double period) { return x(std::log10(period)); };

  // Colours follow log10 chi2, which spreads the values near the minimum over more colours.
  const auto [lowest, highest] = std::ranges::minmax(map.chi2);
  const double log_low = std::log10(lowest);
  const double log_high = std::max(std::log10(highest), log_low + 1e-6);
  const auto fraction = [&](double chi2) {
    return (std::log10(chi2) - log_low) / (log_high - log_low);
  };

  std::ostringstream svg;
  svg << "<?xml version='1.0' encoding='UTF-8'?>\n"
      << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << kHeight
      << "' viewBox='0 0 " << kWidth << ' ' << kHeight
      << "' font-family='sans-serif' font-size='13'>\n";
  rect(svg, 0, 0, kWidth, kHeight, "white");
  text(svg, kPlotLeft + kPlotWidth / 2, 30, "middle", map.title,
       "font-size='18' font-weight='bold'");
  text(svg, kPlotLeft + kPlotWidth / 2, 52, "middle", map.subtitle, "fill='#444'");

  // The cells. Neighbours share their edges exactly, and crispEdges keeps seams from showing.
  const std::size_t rows = map.eccentricities.size();
  svg << "<g shape-rendering='crispEdges'>\n";
  for (std::size_t i = 0; i < map.periods.size(); ++i) {
    for (std::size_t j = 0; j < rows; ++j) {
      rect(svg, x(x_edges[i]), y(y_edges[j + 1]), x(x_edges[i + 1]) - x(x_edges[i]),
           y(y_edges[j]) - y(y_edges[j + 1]), colour_of(fraction(map.chi2[i * rows + j])));
    }
  }
  svg << "</g>\n";

  // Frame, ticks and axis titles.
  rect(svg, kPlotLeft, kPlotTop, kPlotWidth, kPlotHeight, "none", "stroke='black'");
  for (const double period : log_ticks(map.periods.front(), map.periods.back())) {
    line(svg, x_of_period(period), kPlotBottom, x_of_period(period), kPlotBottom + kTickLength);
    text(svg, x_of_period(period), kPlotBottom + 20, "middle", label(period));
  }
  for (const double eccentricity : linear_ticks(y_edges.front(), y_edges.back())) {
    line(svg, kPlotLeft - kTickLength, y(eccentricity), kPlotLeft, y(eccentricity));
    text(svg, kPlotLeft - 9, y(eccentricity) + 4, "end", label(eccentricity));
  }
  text(svg, kPlotLeft + kPlotWidth / 2, kPlotBottom + 45, "middle", "period P (days, log scale)",
       "font-size='15'");
  vertical_text(svg, 35, kPlotTop + kPlotHeight / 2, "eccentricity e");

  // The colour bar, with chi2 ticks on the same log scale as the cells.
  svg << "<defs><linearGradient id='chi2' x1='0' y1='1' x2='0' y2='0'>\n";
  constexpr int kStops = 16;
  for (int stop = 0; stop <= kStops; ++stop) {
    const double offset = static_cast<double>(stop) / kStops;
    svg << "<stop offset='" << number(offset, 4) << "' stop-color='" << colour_of(offset)
        << "'/>\n";
  }
  svg << "</linearGradient></defs>\n";
  rect(svg, kBarLeft, kPlotTop, kBarWidth, kPlotHeight, "url(#chi2)", "stroke='black'");
  const Scale bar(log_low, log_high, kPlotBottom, kPlotTop);
  const double bar_right = kBarLeft + kBarWidth;
  for (const double chi2 : log_ticks(lowest, highest)) {
    line(svg, bar_right, bar(std::log10(chi2)), bar_right + kTickLength, bar(std::log10(chi2)));
    text(svg, bar_right + 8, bar(std::log10(chi2)) + 4, "start", label(chi2));
  }
  vertical_text(svg, kWidth - 22, kPlotTop + kPlotHeight / 2, "χ², lowest over ω (log scale)");

  ring(svg, x_of_period(map.truth.period), y(map.truth.eccentricity));
  cross(svg, x_of_period(map.best.period), y(map.best.eccentricity));

  // Legend under the axis title.
  const double legend_y = kPlotBottom + 85;
  ring(svg, kPlotLeft + 10, legend_y - 5);
  text(
      svg, kPlotLeft + 28, legend_y, "start",
      "truth: P = " + number(map.truth.period, 2) + " d, e = " + number(map.truth.eccentricity, 2));
  cross(svg, kPlotLeft + kPlotWidth / 2, legend_y - 5);
  text(svg, kPlotLeft + kPlotWidth / 2 + 18, legend_y, "start",
       "best fit: P = " + number(map.best.period, 2) +
           " d, e = " + number(map.best.eccentricity, 2) + ", χ² = " + number(map.best_chi2, 1));
  svg << "</svg>\n";

  std::ofstream out(file);
  out << svg.str();
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace orbit_grid
