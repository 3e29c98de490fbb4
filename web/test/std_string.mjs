// std_msgs/msg/String as @foxglove/rosmsg parses it (for publishing a fault command).
import { parse } from "@foxglove/rosmsg";
export const definitions = parse("string data", { ros2: true });
