import { ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ClientQueryDto } from '../detection';
import { TRAFFIC_RANGES, type TrafficRange } from './time-range';
import { TrafficQueryDto } from './traffic-query.dto';

/** `GET /admin/clients/activity`: the client (address or range) and the timeline's time range, as `GET /admin/traffic` takes it but 1 h by default. */
export class ClientActivityQueryDto extends IntersectionType(ClientQueryDto, OmitType(TrafficQueryDto, ['range'] as const)) {
  @ApiPropertyOptional({ enum: Object.keys(TRAFFIC_RANGES), default: '1h', description: 'a range ending now' })
  @IsOptional()
  @IsIn(Object.keys(TRAFFIC_RANGES))
  range?: TrafficRange;
}
