import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsIP, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

/** One answer of the protected API, as a trusted proxy reports it (POST /forward-auth/report). */
export class ForwardAuthReportDto {
  @ApiProperty({ example: 'POST' })
  @IsString()
  @Matches(/^[A-Za-z]{1,16}$/)
  method!: string;

  @ApiProperty({ example: '/login' })
  @IsString()
  @MinLength(1)
  @MaxLength(8192)
  uri!: string;

  @ApiProperty({ example: 401 })
  @IsInt()
  @Min(100)
  @Max(599)
  status!: number;

  @ApiPropertyOptional({ description: "The client's address; by default the one the forwarding header of the report names." })
  @IsOptional()
  @IsIP()
  client?: string;

  @ApiPropertyOptional({ description: 'For a declared sign-in route: the account tried.' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  username?: string;
}
