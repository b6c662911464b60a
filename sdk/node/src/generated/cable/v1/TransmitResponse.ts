// Original file: proto/cable/v1/publisher.proto


export interface TransmitResponse {
}

export interface TransmitResponse__Output {
}
